package harness

import (
	"os"
	"testing"
)

// parentOnlyVar is set in this test binary's environment and nowhere else,
// so a function that can see it proves the harness leaks the parent's
// environment.
const parentOnlyVar = "HARNESS_TEST_PARENT_ONLY"

func TestMain(m *testing.M) {
	if os.Getenv(orphanHelperEnv) != "" {
		os.Exit(orphanHelper())
	}
	// Set before any test runs, so no test races on the environment.
	os.Setenv(parentOnlyVar, "must-not-reach-the-function")
	Main(m)
}

// testlambdaPkg is the harness's own test function, relative to the repo root.
const testlambdaPkg = "./internal/harness/testlambda"
