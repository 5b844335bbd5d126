// Package config holds Portico's configuration structs, their defaults and
// validation, and is the only package that reads the environment: every flag
// --some-flag can also be set as PORTICO_SOME_FLAG, and the command line wins.
package config

import (
	"flag"
	"fmt"
	"sort"
	"strings"
)

// EnvPrefix starts every environment variable Portico reads.
const EnvPrefix = "PORTICO_"

// extraEnv are PORTICO_ variables that are not flags of any command but are
// read on purpose, so they must not be warned about.
var extraEnv = map[string]bool{
	"PORTICO_TEST_POSTGRES": true, // the test suite's PostgreSQL DSN
}

// EnvName returns the environment variable that sets flag name.
func EnvName(flagName string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// Parse parses args into fs, then fills every flag that was not given on the
// command line from its PORTICO_ environment variable in environ ("K=V"
// pairs, as os.Environ returns). It returns warnings for PORTICO_ variables
// that name no flag of this command: they are likely typos, but not fatal.
func Parse(fs *flag.FlagSet, args, environ []string) (warnings []string, err error) {
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	env := map[string]string{}
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if ok && strings.HasPrefix(k, EnvPrefix) {
			env[k] = v
		}
	}
	known := map[string]bool{}
	var firstErr error
	fs.VisitAll(func(f *flag.Flag) {
		name := EnvName(f.Name)
		known[name] = true
		v, ok := env[name]
		if !ok || set[f.Name] {
			return
		}
		if err := fs.Set(f.Name, v); err != nil && firstErr == nil {
			firstErr = fmt.Errorf("environment variable %s: %w", name, err)
		}
	})
	if firstErr != nil {
		return nil, firstErr
	}
	for k := range env {
		if !known[k] && !extraEnv[k] {
			warnings = append(warnings, fmt.Sprintf("ignoring unknown environment variable %s", k))
		}
	}
	sort.Strings(warnings)
	return warnings, nil
}
