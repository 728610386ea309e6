package schema

// Zuul job files (compiler/zuul).
var (
	RuleZuulYAML    = register("zuul-yaml", sevError, "a Zuul file that is not valid YAML, or a job or DevStack variable of the wrong shape")
	RuleZuulParent  = register("zuul-parent", sevWarning, "a parent job that is not among the given files, or a parent cycle: the variables it sets are missing")
	RuleZuulVariant = register("zuul-variant", sevWarning, "a job defined more than once: stackplan uses the first definition and cannot match branches")
	RuleZuulNodeset = register("zuul-nodeset", sevWarning, "a job with group-vars or host-vars whose nodeset is not among the given files: only the controller is planned")
	RuleZuulJinja   = register("zuul-jinja", sevWarning, "a Jinja expression that Zuul renders when the job runs: its value is unknown at plan time")
	RuleZuulValue   = register("zuul-value", sevWarning, "a DevStack variable value that DevStack's Zuul role writes as something else than it says")
	RuleZuulCycle   = register("zuul-var-cycle", sevError, "devstack_localrc variables that refer to each other in a cycle: the Zuul role fails")
)
