// Package executor applies a plan: it clones the plugins (package
// executor/git), then drives one long-lived bash process per lifecycle
// through the plan's localrc, override-defaults, settings and phase steps,
// and merges the local.conf INI fragments in Go, exactly in the order
// DevStack's stack.sh, unstack.sh and clean.sh would
// (docs/devstack.md §4, §5, §2.6).
//
// The executor never prints: progress and the plugins' output go through
// [Hooks], and to a log file per apply. A journal and a lock under the
// destination directory (DEST/.stackplan) make an interrupted apply resume
// where it stopped and keep two applies off one destination.
//
// The bash protocol: the session's commands arrive as NUL-separated fields
// on one pipe and replies ("done ID STATUS", "vals ID N V...") leave on
// another, both on descriptors above 9 that are closed for everything the
// plugins run, so the plugins' stdout and stderr stay theirs and a plugin
// cannot forge a step boundary by writing to a descriptor it inherited.
package executor
