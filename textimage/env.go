package textimage

import "os"

// lookupKey reads the bearer key from the environment variable name.
func lookupKey(name string) string { return os.Getenv(name) }
