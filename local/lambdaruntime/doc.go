// Package lambdaruntime runs Go Lambda bootstrap executables on this machine, without Docker,
// the way AWS Lambda runs them on provided.al2023: each execution environment ("instance") is
// one bootstrap process with its own Runtime API server on 127.0.0.1, idle in its Pool between
// invocations and held by one invocation's goroutine during it.
//
// Log order: the function's stdout and stderr share one pipe (one log stream, as in Lambda), and
// the runner writes its own lines into that pipe too, marked, once the runtime's writes before
// them have returned: START when /next takes the event, END after the answer. One reader logs
// the pipe in order, with no sleeping or polling.
package lambdaruntime
