using Strata.Images;
using Strata.Pipeline;
using Strata.Registry;

namespace Strata.Tests.Support.Fakes;

/// <summary>
/// What a gate test runs on: a repository to write strata.yaml into, and an in-memory engine (holding the pinned base
/// OS), registry and smoke runner; pipelines over them log into <see cref="Log"/>.
/// </summary>
public sealed class FakeWorld : IDisposable
{
    public const string Os = "debian:trixie-slim@sha256:d7e12182ce18b85b93007c1dedf31f2d29e01ccf3182cc4017c709b6259bc132";

    public FakeWorld() => NewMachine();

    public TempRepo Repo { get; } = new();
    public FakeRegistry Registry { get; } = new(RegistryLocation.Parse("registry.example:5000/team"));
    /// <summary>This machine's engine; <see cref="NewMachine"/> replaces it.</summary>
    public FakeEngine Engine { get; private set; } = null!;
    public FakeSmokeRunner Smoke { get; } = new();
    public List<string> Log { get; } = [];

    /// <summary>A new machine: an engine that holds only the pinned base OS (the registry stays).</summary>
    public FakeEngine NewMachine()
    {
        Engine = new FakeEngine(Registry);
        Engine.Add(new Dictionary<string, string>(), Os);
        return Engine;
    }

    /// <summary>
    /// The chain the gate tests build: strata.yaml (acme/workstation) with base and k8s on a dotfiles layer, their Dockerfiles with
    /// one RUN step each (<paramref name="baseRun"/>, <paramref name="k8sRun"/>) or none, and the dotfiles.
    /// </summary>
    public FakeWorld WriteBaseAndK8s(string? baseRun = null, string? k8sRun = null)
    {
        Repo.Write("strata.yaml", ChainFiles.StrataYaml("acme/workstation", BaseOsYaml, "base", "k8s"))
            .Write("Dockerfiles/Dockerfile.base", ChainFiles.OnParent(baseRun))
            .Write("Dockerfiles/Dockerfile.k8s", ChainFiles.OnParent(k8sRun))
            .Write("Dockerfiles/Dockerfile.dotfiles", "ARG PARENT_IMAGE\nFROM ${PARENT_IMAGE}\nCOPY dotfiles/ /root/\n")
            .WriteBashrc();
        return this;
    }

    /// <summary>The release options of the gate tests: release tag v1.0.0.</summary>
    public static readonly ReleaseVerbOptions Release = new() { ReleaseTag = "v1.0.0" };

    /// <summary>strata.yaml's base_os block for <see cref="Os"/>.</summary>
    public static string BaseOsYaml => $"""
        base_os:
          image: "{Os}"
          debootstrap: {"{"} suite: trixie, variant: minbase, mirror: "http://deb.debian.org/debian" {"}"}
        """;

    /// <summary>
    /// A pipeline on the fakes: the repository, its own cache folder, revision "test"; <paramref name="withRegistry"/>
    /// adds the registry; <paramref name="binfmtDirectory"/> is a stand-in binfmt_misc for foreign platforms.
    /// </summary>
    public ImagePipeline Pipeline(bool withRegistry, Func<RunOptions, RunOptions>? adjust = null, string? binfmtDirectory = null)
    {
        var options = new RunOptions
        {
            RepositoryRoot = Repo.Root, HostCa = HostCaMode.Off, CacheDirectory = Repo.Path(".cache"), Revision = "test",
            Registry = withRegistry ? Registry.Location : null,
        };
        return new ImagePipeline(adjust?.Invoke(options) ?? options, Log.Add, Engine, registry: withRegistry ? Registry : null, smoke: Smoke)
        {
            BinfmtDirectory = binfmtDirectory ?? Strata.Platforms.Emulation.BinfmtDirectory,
        };
    }

    public void Dispose() => Repo.Dispose();
}
