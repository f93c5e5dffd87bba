using Strata.Graph;
using Strata.Images;
using Strata.Tests.Support;

namespace Strata.Tests.Images;

/// <summary>The vault program's key (issue 28): its sources, shared build settings and compiler; it moves the thin layers only.</summary>
public class VaultProgramTests : IDisposable
{
    private readonly TempRepo _repo = new();

    public void Dispose() => _repo.Dispose();

    private const string Yaml = """
        repository: strata/test
        base_os:
          image: debian:trixie-slim@sha256:0000000000000000000000000000000000000000000000000000000000000000
          debootstrap: { suite: trixie, mirror: "http://deb.debian.org/debian" }
        dotfiles:
          dockerfile: Dockerfiles/Dockerfile.dotfiles
          inputs: [dotfiles]
        images:
          - { name: base, dockerfile: Dockerfiles/Dockerfile.base }
          - { name: k8s, parent: base, dockerfile: Dockerfiles/Dockerfile.k8s }
        """;

    public VaultProgramTests()
    {
        _repo.Write("strata.yaml", Yaml)
            .Write("Dockerfiles/Dockerfile.base", "ARG PARENT_IMAGE\nFROM ${PARENT_IMAGE}\n")
            .Write("Dockerfiles/Dockerfile.k8s", "ARG PARENT_IMAGE\nFROM ${PARENT_IMAGE}\n")
            .Write("Dockerfiles/Dockerfile.dotfiles", "ARG PARENT_IMAGE\nFROM ${PARENT_IMAGE}\nCOPY .strata/vault/ /usr/local/bin/\n")
            .Write("dotfiles/bash/.bashrc", "echo hi\n")
            .Write("global.json", "{}\n")
            .Write("src/Strata.Vault/Strata.Vault.csproj", "<Project />\n")
            .Write("src/Strata.Vault/Program.cs", "return 0;\n");
    }

    private VaultProgram Vault(string compiler = ".NET 10.0.0") => VaultProgram.Find(_repo.Root, compiler)!;

    private BuildPlan Plan() => BuildPlanner.Plan(GraphLoader.Parse(Yaml, _repo.Root), new PlanOptions { HostCa = HostCaMode.Off, Vault = Vault() });

    [Fact]
    public void An_edit_to_the_vault_moves_every_published_key_and_no_core_key()
    {
        var before = Plan();
        _repo.Write("src/Strata.Vault/Program.cs", "return 1;\n");
        var after = Plan();
        foreach (var image in new[] { "base", "k8s" })
        {
            Assert.Equal(before.Get(image).Core.Key, after.Get(image).Core.Key);
            Assert.NotEqual(before.Get(image).Key, after.Get(image).Key);
        }
    }

    [Fact]
    public void Build_output_is_not_source_and_the_compiler_and_shared_settings_are()
    {
        var key = Vault().Key;
        _repo.Write("src/Strata.Vault/bin/Release/vault", "binary").Write("src/Strata.Vault/obj/project.assets.json", "{}");
        Assert.Equal(key, Vault().Key);
        Assert.NotEqual(key, Vault(".NET 10.0.1").Key);
        _repo.Write("global.json", "{ \"sdk\": {} }\n");
        Assert.NotEqual(key, Vault().Key);
    }

    [Fact]
    public void The_thin_layer_carries_the_vault_and_its_context_folder()
    {
        var thin = Plan().Get("k8s").ThinLayer!;
        Assert.NotNull(thin.Vault);
        Assert.Contains(VaultProgram.ContextDirectory, thin.EmptyDirectories);
        Assert.Null(Plan().Get("k8s").Core.Vault);
    }

    [Fact]
    public void A_repository_without_the_vault_project_has_no_vault()
    {
        using var other = new TempRepo();
        Assert.Null(VaultProgram.Find(other.Root));
    }

    [Theory]
    [InlineData("linux/amd64", "linux-x64")]
    [InlineData("linux/arm64", "linux-arm64")]
    public void A_platform_publishes_for_its_runtime(string platform, string rid) =>
        Assert.Equal(rid, VaultProgram.RuntimeIdentifier(Strata.Oci.Platform.Parse(platform)));
}
