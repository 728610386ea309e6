package diagview

import (
	"bytes"
	"net/url"
	"path/filepath"

	"github.com/hashicorp/hcl/v2"

	"github.com/stackplan/stackplan/schema"
)

// DefaultRulesURL is where SARIF's helpUri points when Options.RulesURL is
// empty: the rules page, with "#" and the rule ID appended.
const DefaultRulesURL = "https://github.com/stackplan/stackplan/blob/main/docs/rules.md"

// rulesForSARIF lists the rules a SARIF log declares. Tests replace it so
// that their golden files do not change each time a rule is added.
var rulesForSARIF = schema.Rules

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
	// Our columns count characters, not SARIF's default UTF-16 code units.
	ColumnKind string `json:"columnKind"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri,omitempty"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifRule struct {
	ID                   string      `json:"id"`
	ShortDescription     sarifText   `json:"shortDescription"`
	DefaultConfiguration sarifConfig `json:"defaultConfiguration"`
	HelpURI              string      `json:"helpUri,omitempty"`
}

type sarifConfig struct {
	Level string `json:"level"`
}

type sarifResult struct {
	RuleID    string          `json:"ruleId,omitempty"`
	RuleIndex *int            `json:"ruleIndex,omitempty"`
	Level     string          `json:"level"`
	Message   sarifText       `json:"message"`
	Locations []sarifLocation `json:"locations,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn"`
	EndLine     int `json:"endLine"`
	EndColumn   int `json:"endColumn"`
}

func sarifLevel(sev hcl.DiagnosticSeverity) string {
	switch sev {
	case hcl.DiagError:
		return "error"
	case hcl.DiagWarning:
		return "warning"
	}
	return "note"
}

func writeSARIF(buf *bytes.Buffer, diags hcl.Diagnostics, opts Options, rules []schema.Rule) error {
	base := opts.RulesURL
	if base == "" {
		base = DefaultRulesURL
	}
	driver := sarifDriver{
		Name:    "stackplan",
		Version: opts.ToolVersion,
		Rules:   make([]sarifRule, 0, len(rules)),
	}
	index := map[string]int{}
	for i, r := range rules {
		index[r.ID] = i
		driver.Rules = append(driver.Rules, sarifRule{
			ID:                   r.ID,
			ShortDescription:     sarifText{Text: r.Summary},
			DefaultConfiguration: sarifConfig{Level: sarifLevel(r.Severity)},
			HelpURI:              base + "#" + r.ID,
		})
	}
	results := make([]sarifResult, 0, len(diags))
	for _, d := range diags {
		res := sarifResult{
			RuleID:  schema.RuleOf(d),
			Level:   Severity(d),
			Message: sarifText{Text: message(d)},
		}
		if i, ok := index[res.RuleID]; ok {
			res.RuleIndex = &i
		}
		if loc, ok := sarifLocationOf(d.Subject); ok {
			res.Locations = []sarifLocation{loc}
		}
		results = append(results, res)
	}
	return encodeJSON(buf, sarifLog{
		Schema:  "https://json.schemastore.org/sarif-2.1.0.json",
		Version: "2.1.0",
		Runs: []sarifRun{{
			Tool:       sarifTool{Driver: driver},
			Results:    results,
			ColumnKind: "unicodeCodePoints",
		}},
	})
}

// message is the summary, then the detail after a blank line when there is one.
func message(d *hcl.Diagnostic) string {
	if d.Detail == "" {
		return d.Summary
	}
	return d.Summary + "\n\n" + d.Detail
}

// sarifLocationOf gives the file of r as a relative URI reference (forward
// slashes, percent-escaped) and, when r has a line, its region with columns
// of at least 1 and an end not before the start.
func sarifLocationOf(r *hcl.Range) (sarifLocation, bool) {
	if r == nil || r.Filename == "" {
		return sarifLocation{}, false
	}
	loc := sarifLocation{PhysicalLocation: sarifPhysical{
		ArtifactLocation: sarifArtifact{URI: fileURI(r.Filename)},
	}}
	if r.Start.Line >= 1 {
		reg := sarifRegion{
			StartLine:   r.Start.Line,
			StartColumn: max(r.Start.Column, 1),
			EndLine:     r.End.Line,
			EndColumn:   max(r.End.Column, 1),
		}
		if reg.EndLine < reg.StartLine || reg.EndLine == reg.StartLine && reg.EndColumn < reg.StartColumn {
			reg.EndLine, reg.EndColumn = reg.StartLine, reg.StartColumn
		}
		loc.PhysicalLocation.Region = &reg
	}
	return loc, true
}

// fileURI turns a file name into a URI reference: forward slashes, and
// characters that a URI cannot hold percent-escaped.
func fileURI(name string) string {
	u := url.URL{Path: filepath.ToSlash(name)}
	return u.String()
}
