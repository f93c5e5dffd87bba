// The run: the library reads the run's options (command line and environment; each target reads its verb's own from
// `arguments`, through the verb's options type), handles Ctrl+C and SIGTERM (the step in
// progress is cancelled through `stopping` and cleans up; a second signal quits at once) and composes the pipeline that
// every target calls. The pipeline reads nothing until a target needs it, so a broken strata.yaml stops only the
// targets that use it (test and pin still run). Teardown writes the reports, then prints the tables.
using Strata.Pipeline;

// Cake runs a script in the script's folder; Strata's paths are relative to the repository.
var repositoryRoot = Context.Environment.WorkingDirectory.Combine("..").Collapse().FullPath;
System.IO.Directory.SetCurrentDirectory(repositoryRoot);
Context.Environment.WorkingDirectory = repositoryRoot;

var run = ScriptRun.Start(repositoryRoot, Context.Arguments.GetArguments(), line => Console.WriteLine(line), message => Warning("{0}", message));
var (options, arguments, strata, graph, stopping) = (run.Options, run.Arguments, run.Pipeline, run.Graph, run.Stopping);
Teardown(_ => run.Dispose());
