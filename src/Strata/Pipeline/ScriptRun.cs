using Strata.Graph;

namespace Strata.Pipeline;

/// <summary>
/// A run of the build script, set up from its process: the options from the command line and the environment, the stop
/// signal, and the pipeline composed over them. This is the process's edge (the one place that reads the environment, the
/// console and signals for a run), so the script only declares targets and calls <see cref="Pipeline"/>.
/// <see cref="Dispose"/> ends the run: the reports are written first, then the tables printed.
/// </summary>
public sealed class ScriptRun : IDisposable
{
    private readonly Action<string> _write;
    private readonly StopSignal _stop;

    private ScriptRun(CommandLine commandLine, RunOptions options, Action<string> write, Action<string> warn)
    {
        Arguments = commandLine;
        Options = options;
        _write = write;
        foreach (var warning in OptionNames.Warnings(commandLine)) warn(warning);
        if (options.SkipBinaryTools)
            warn("--skip-tools: the GitHub-released binaries of tools.yaml are left out of every image (their keys differ from complete images).");
        _stop = StopSignal.Register(Console.Error.WriteLine);
        Pipeline = new ImagePipeline(options, write, inputs: ProcessInputs.Current);
        // Image targets are declared from the graph; without a usable strata.yaml there are none.
        Graph = Pipeline.TryGraph(out var configError);
        if (configError is not null)
            warn($"{configError}\nOnly the targets that do not need strata.yaml (test, pin) can run.");
    }

    /// <summary>
    /// Reads the run's options (<paramref name="arguments"/> as Cake hands them over, and this process's environment), warns
    /// about options no target reads and those of another target than the one run, handles Ctrl+C and SIGTERM from now on, and composes the pipeline. Engine output holds braces:
    /// <paramref name="write"/> takes lines as they are, not format strings.
    /// </summary>
    public static ScriptRun Start(string repositoryRoot, IDictionary<string, ICollection<string>> arguments, Action<string> write, Action<string> warn)
    {
        var commandLine = new CommandLine(arguments, Environment.GetEnvironmentVariable);
        return new(commandLine, RunOptions.From(repositoryRoot, commandLine), write, warn);
    }

    /// <summary>The command line and environment: what a target parses its verb's options from (<c>PruneVerbOptions.From(arguments)</c>).</summary>
    public CommandLine Arguments { get; }
    /// <summary>The options every target reads.</summary>
    public RunOptions Options { get; }
    public ImagePipeline Pipeline { get; }
    /// <summary>The graph for declaring the image targets; null when strata.yaml cannot be used (warned about).</summary>
    public ImageGraph? Graph { get; }
    /// <summary>Cancelled by the first Ctrl+C or SIGTERM.</summary>
    public CancellationToken Stopping => _stop.Token;

    /// <summary>Writes the reports, prints the tables (printing writes nothing), and releases the engine and the signal handlers.</summary>
    public void Dispose()
    {
        try
        {
            Pipeline.Reports.Write();
            if (Pipeline.Reports.Summary() is { Length: > 0 } summary) _write(summary.TrimEnd('\n'));
        }
        finally
        {
            Pipeline.Dispose();
            _stop.Dispose();
        }
    }
}
