package cuda

// The case table comes from package mesh, so the GPU and CPU meshes cannot drift apart; the PTX is
// committed so that building needs no clang. CI regenerates both and fails on a difference.
//go:generate go run ./internal/gen table
//go:generate go run ./internal/gen ptx
//go:generate go run ./internal/gen emu
