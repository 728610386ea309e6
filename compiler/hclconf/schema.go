package hclconf

import "github.com/hashicorp/hcl/v2"

// Block types of a stack.hcl, in the order docs/hcl.md presents them.
const (
	blockLocalrc       = "localrc"
	blockLocalrcAppend = "localrc_append"
	blockPlugin        = "plugin"
	blockServices      = "services"
	blockBash          = "bash"
	blockConfig        = "config"
	blockSection       = "section"
	blockNode          = "node"
)

var fileSchema = &hcl.BodySchema{
	Blocks: []hcl.BlockHeaderSchema{
		{Type: blockLocalrc},
		{Type: blockLocalrcAppend},
		{Type: blockPlugin, LabelNames: []string{"name"}},
		{Type: blockServices},
		{Type: blockBash},
		{Type: blockConfig, LabelNames: []string{"group", "file"}},
		{Type: blockNode, LabelNames: []string{"name"}},
	},
}

// nodeSchema is the body of a node block: the top level's blocks, no
// nested node, and the node's groups.
var nodeSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "groups"}},
	Blocks:     fileSchema.Blocks[:len(fileSchema.Blocks)-1],
}

var pluginSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "url", Required: true},
		{Name: "ref"},
		{Name: "requires"},
	},
}

var servicesSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "disable_all"},
		{Name: "enable"},
		{Name: "disable"},
	},
}

var bashSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "script", Required: true}},
}

var configSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "raw"}},
	Blocks:     []hcl.BlockHeaderSchema{{Type: blockSection, LabelNames: []string{"name"}}},
}

// names lists what a schema allows, for did-you-mean hints.
func names(s *hcl.BodySchema) (attrs, blocks []string) {
	for _, a := range s.Attributes {
		attrs = append(attrs, a.Name)
	}
	for _, b := range s.Blocks {
		blocks = append(blocks, b.Type)
	}
	return attrs, blocks
}
