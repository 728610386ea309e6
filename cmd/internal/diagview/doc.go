// Package diagview renders hcl.Diagnostics for people and for machines.
//
// It is the one place that turns findings into text: pretty (a source
// snippet with a ^~~~ underline), compact (one line per finding), JSON,
// SARIF 2.1.0 and GitHub Actions workflow commands. Renderers take every
// choice as an argument (colour, width, tool version): they never look at
// the environment or the terminal, and they never panic, whatever ranges and
// file bytes they are given.
package diagview
