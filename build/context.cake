// Shared state of a run: the loaded graph (tasks are generated from it), options from the
// command line, and the library objects every task module uses.
using Strata.Engine;
using Strata.Graph;
using Strata.Images;
using Strata.Reporting;

public sealed class StrataRun
{
    public StrataRun(ImageGraph graph, PlanOptions planOptions, BuildOptions buildOptions)
    {
        Graph = graph;
        PlanOptions = planOptions;
        Builder = new ChainBuilder(Docker, buildOptions, Log);
        _plan = new Lazy<BuildPlan>(() => BuildPlanner.Plan(Graph, PlanOptions));
    }

    private readonly Lazy<BuildPlan> _plan;
    public ImageGraph Graph { get; }
    public PlanOptions PlanOptions { get; }
    public DockerCli Docker { get; } = new DockerCli();
    public ChainBuilder Builder { get; }
    /// <summary>Keys for every image; computed on first use (reading files only).</summary>
    public BuildPlan Plan => _plan.Value;
    public List<ImageResult> Results { get; } = new List<ImageResult>();
    public string ArtifactsDirectory => System.IO.Path.Combine(Graph.RootDirectory, "artifacts");

    // Braces in engine output must not be read as format items: write lines as they are.
    public static void Log(string line) => Console.WriteLine(line);
}

static string GitRevision()
{
    try
    {
        var psi = new System.Diagnostics.ProcessStartInfo("git", "rev-parse HEAD") { RedirectStandardOutput = true, RedirectStandardError = true };
        using var git = System.Diagnostics.Process.Start(psi);
        var sha = git.StandardOutput.ReadToEnd().Trim();
        git.WaitForExit();
        return git.ExitCode == 0 ? sha : null;
    }
    catch (System.ComponentModel.Win32Exception) { return null; }
}

var strata = new StrataRun(
    GraphLoader.Load(Argument("config", "strata.yaml")),
    new PlanOptions { HostCa = HostCa.Parse(Argument("host-ca", "auto")) },
    new BuildOptions
    {
        Network = Argument<string>("network", null),
        Revision = HasArgument("revision") ? Argument<string>("revision") : GitRevision(),
    });
