package schema

// Zuul job files (compiler/zuul).
var (
	RuleZuulYAML    = register("zuul-yaml", sevError, "a Zuul file that is not valid YAML, or a job or DevStack variable of the wrong shape")
	RuleZuulParent  = register("zuul-parent", sevError, "a parent job that is not among the given files, or a parent cycle: the DevStack variables it sets would be missing")
	RuleZuulVariant = register("zuul-variant", sevWarning, "a branch matcher Zuul cannot read, or a parent job with no variant for the branch planned")
	RuleZuulNodeset = register("zuul-nodeset", sevWarning, "a job with group-vars or host-vars whose nodeset is not among the given files: only the controller is planned")
	RuleZuulJinja   = register("zuul-jinja", sevWarning, "a Jinja expression that Zuul renders when the job runs: its value is unknown at plan time")
	RuleZuulValue   = register("zuul-value", sevWarning, "a DevStack variable value that DevStack's Zuul role writes as something else than it says (a YAML 1.1 number such as 0755, a double quote, a list)")
	RuleZuulCycle   = register("zuul-var-cycle", sevError, "devstack_localrc variables that refer to each other in a cycle: the Zuul role fails")
)
