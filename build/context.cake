// The run: one typed options object read from the command line, and the pipeline that every
// target calls. The pipeline reads nothing until a target needs it, so a broken strata.yaml
// stops only the targets that use it (test and pin still run).
using Strata.Pipeline;

// Cake runs a script in the script's folder; Strata's paths are relative to the repository.
var repositoryRoot = Context.Environment.WorkingDirectory.Combine("..").Collapse().FullPath;
System.IO.Directory.SetCurrentDirectory(repositoryRoot);
Context.Environment.WorkingDirectory = repositoryRoot;

var options = RunOptions.FromArguments(repositoryRoot, Context.Arguments.GetArguments(), Environment.GetEnvironmentVariable);
foreach (var unknown in options.UnknownOptions)
    Warning("--{0} is not an option of Strata or Cake and is ignored (a typo?).", unknown);
if (options.SkipBinaryTools)
    Warning("--skip-tools: the GitHub-released binaries of tools.yaml are left out of every image (their keys differ from complete images).");

// Ctrl+C or SIGTERM stops the run the way a failure does: the step in progress is cancelled and cleans up
// (its containers, the vault's temp folder and exported image, its linux.uml or QEMU) instead of the process
// dying mid-way; the reports are still written. A second signal ends the process at once.
var stop = new System.Threading.CancellationTokenSource();
Action<System.Runtime.InteropServices.PosixSignalContext> onSignal = signal =>
{
    if (stop.IsCancellationRequested) return;
    signal.Cancel = true;
    Console.Error.WriteLine($"strata: {signal.Signal}: stopping and cleaning up (again to quit at once)");
    stop.Cancel();
};
var onSigint = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, onSignal);
var onSigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, onSignal);
var stopping = stop.Token;

// Engine output holds braces: write lines as they are, not as format strings.
var strata = new ImagePipeline(options, line => Console.WriteLine(line));
// Image targets are declared from the graph; without a usable strata.yaml there are none.
var graph = strata.TryGraph(out var configError);
if (configError is not null)
    Warning("{0}\nOnly the targets that do not need strata.yaml (test, pin) can run.", configError);

// The reports are written first, then the tables printed (printing writes nothing).
Teardown(_ =>
{
    strata.Reports.Write();
    Console.Write(strata.Reports.Summary());
    strata.Dispose();
});
