// Package layout holds no code: its test asserts the direction of imports
// between kscan's packages (README, Layout): data flows collectors → graph
// → policies → findings → report, and post-processing does not depend on
// the pipeline that calls it.
package layout
