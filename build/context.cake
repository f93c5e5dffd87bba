// Shared state of a run: the loaded graph (tasks are generated from it), options from the
// command line, and the library objects every task module uses.
using Strata.Downloads;
using Strata.Engine;
using Strata.Graph;
using Strata.Images;
using Strata.Reporting;
using Strata.Tools;

public sealed class StrataRun
{
    public StrataRun(ImageGraph graph, PlanOptions planOptions, BuildOptions buildOptions, DockerEngine docker)
    {
        Graph = graph;
        Docker = docker;
        PlanOptions = planOptions;
        Builder = new ChainBuilder(Docker, buildOptions, Log);
        _plan = new Lazy<BuildPlan>(() => BuildPlanner.Plan(Graph, PlanOptions));
    }

    private readonly Lazy<BuildPlan> _plan;
    public ImageGraph Graph { get; }
    public PlanOptions PlanOptions { get; }
    public DockerEngine Docker { get; }
    public ChainBuilder Builder { get; }
    /// <summary>Keys for every image; computed on first use (reading files only).</summary>
    public BuildPlan Plan => _plan.Value;
    public List<ImageResult> Results { get; } = new List<ImageResult>();
    public List<Strata.Smoke.SmokeResult> SmokeResults { get; } = new List<Strata.Smoke.SmokeResult>();
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

// Downloads (verified assets, GitHub ETags) live outside the checkout and survive clean clones.
static string DefaultCacheDirectory() => System.IO.Path.Combine(
    Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg ? xdg
        : System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"),
    "strata");

var cacheDirectory = Argument("cache-dir", DefaultCacheDirectory());
// A download mirror (artifact proxy, air-gapped site): URLs become <mirror>/<host>/<path>.
var mirror = Argument<string>("mirror", null) ?? Environment.GetEnvironmentVariable("STRATA_MIRROR");
var mirrorUri = string.IsNullOrEmpty(mirror) ? null : new Uri(mirror.TrimEnd('/') + "/");
var toolsFile = Argument("tools", "tools.yaml");
var lockFile = Argument("lock", ToolLock.DefaultFileName);

var strata = new StrataRun(
    GraphLoader.Load(Argument("config", "strata.yaml")),
    new PlanOptions
    {
        HostCa = HostCa.Parse(Argument("host-ca", "auto")),
        Tools = ToolsFile.Load(toolsFile),
        Lock = ToolLock.Load(lockFile, missingIsEmpty: true),
        SkipBinaryTools = HasArgument("skip-tools"),
    },
    new BuildOptions
    {
        Network = Argument<string>("network", null),
        NoCache = HasArgument("no-cache"),
        CacheDirectory = cacheDirectory,
        Revision = HasArgument("revision") ? Argument<string>("revision") : GitRevision(),
        Assets = new AssetCache(System.IO.Path.Combine(cacheDirectory, "assets"), mirrorUri, log: StrataRun.Log),
    },
    new DockerEngine(Builders.Parse(Argument("builder", "auto"))));
if (HasArgument("skip-tools"))
    Warning("--skip-tools: the GitHub-released binaries of tools.yaml are left out of every image (their keys differ from complete images).");
