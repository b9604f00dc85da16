// Linked into every fuzz target: fsync is a no-op there. The loaders' durability is tested by
// tests/lm/kill_resume.sh, not here; the targets save files (round trips, checkpoints) thousands
// of times a second, and a disk flush each time would cut the fuzzing rate a hundredfold.
// The executable's definition takes precedence over libc's for every caller in the process.
extern "C" int fsync(int) { return 0; }
