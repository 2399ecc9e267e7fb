// Package lambdaruntime runs Go Lambda bootstrap executables on this machine, without Docker,
// the way AWS Lambda runs them on provided.al2023.
//
// Each execution environment ("instance") is one bootstrap process with its own Lambda Runtime
// API server on 127.0.0.1. A Pool keeps instances idle (their runtime waiting in /next) between
// invocations and starts another when all are busy; an invocation's goroutine holds its
// instance from handing over the event until the runtime asks for the next one, and reports
// function errors, timeouts, crashes and init failures as Lambda's Invoke API does.
//
// Log order: the function's stdout and stderr share one pipe (one log stream, as in Lambda),
// and the runner writes its own lines (START, END, REPORT, ...) into that pipe too, marked, when
// the runtime's own writes have returned: START when its /next takes the event, END once its
// answer is in. One reader logs the pipe in order, so that what the function wrote before it
// asked for the event comes before START, and what it wrote before answering before END, with
// no sleeping or polling.
package lambdaruntime
