package graph

// Facts are what enrichers derive from a collected graph in Go (effective
// RBAC and IAM permissions, image links, exposure, Pod Security Standards
// verdicts), by name; rules read them as input.facts.<name>. The graph
// defines their shape so that the package deriving them (enrich) and the one
// handing them to rules (policies) need not know each other.
type Facts map[string]any
