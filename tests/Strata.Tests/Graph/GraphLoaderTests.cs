using Strata.Graph;
using Strata.Oci;
using Strata.Tests.Support;

namespace Strata.Tests.Graph;

public class GraphLoaderTests : IDisposable
{
    private readonly TempRepo _repo = new();

    public GraphLoaderTests()
    {
        _repo.Write("Dockerfiles/Dockerfile.base", "FROM x\n")
            .Write("Dockerfiles/Dockerfile.k8s", "FROM x\n")
            .Write("Dockerfiles/Dockerfile.dotfiles", "FROM x\n")
            .Write("dotfiles/bash/.bashrc", "echo hi\n");
    }

    public void Dispose() => _repo.Dispose();

    private const string Header = """
        repository: strata/test
        base_os:
          image: debian:trixie-slim@sha256:0000000000000000000000000000000000000000000000000000000000000000
          debootstrap: { suite: trixie, mirror: "http://deb.debian.org/debian" }

        """;

    private ImageGraph Load(string images) => GraphLoader.Parse(Header + images, _repo.Root);

    private StrataConfigException Fails(string images) => Assert.Throws<StrataConfigException>(() => Load(images));

    [Fact]
    public void Orders_every_image_after_its_parent_whatever_the_declaration_order()
    {
        var graph = Load("""
            images:
              - { name: k8s, parent: base, dockerfile: Dockerfiles/Dockerfile.k8s }
              - { name: base, dockerfile: Dockerfiles/Dockerfile.base }
            """);

        Assert.Equal(["base", "k8s"], graph.Images.Select(i => i.Name));
        Assert.Equal(["base", "k8s"], graph.Lineage("k8s").Select(i => i.Name));
    }

    [Fact]
    public void Shared_args_apply_to_every_image_and_an_image_can_override_them()
    {
        var graph = Load("""
            args: { USERNAME: dev, SHELL: bash }
            images:
              - name: base
                dockerfile: Dockerfiles/Dockerfile.base
                args: { SHELL: zsh }
            """);

        Assert.Equal("dev", graph.Get("base").Layer.Args["USERNAME"]);
        Assert.Equal("zsh", graph.Get("base").Layer.Args["SHELL"]);
    }

    [Fact]
    public void Unknown_parent_names_the_file_the_image_and_the_known_images()
    {
        var e = Fails("""
            images:
              - { name: base, dockerfile: Dockerfiles/Dockerfile.base }
              - { name: k8s, parent: bsae, dockerfile: Dockerfiles/Dockerfile.k8s }
            """);
        Assert.Contains("strata.yaml", e.Message);
        Assert.Contains("image 'k8s'", e.Message);
        Assert.Contains("parent 'bsae' is not defined", e.Message);
        Assert.Contains("Known images: base, k8s", e.Message);
    }

    [Fact]
    public void A_cycle_is_reported_with_its_path()
    {
        var e = Fails("""
            images:
              - { name: a, parent: b, dockerfile: Dockerfiles/Dockerfile.base }
              - { name: b, parent: a, dockerfile: Dockerfiles/Dockerfile.k8s }
            """);
        Assert.Contains("parent cycle", e.Message);
        Assert.Contains("a -> b -> a", e.Message);
    }

    [Fact]
    public void A_missing_dockerfile_is_named()
    {
        var e = Fails("""
            images:
              - { name: base, dockerfile: Dockerfiles/Dockerfile.nope }
            """);
        Assert.Contains("image 'base'", e.Message);
        Assert.Contains("Dockerfile 'Dockerfiles/Dockerfile.nope' does not exist", e.Message);
    }

    [Fact]
    public void A_missing_input_is_named()
    {
        var e = Fails("""
            images:
              - { name: base, dockerfile: Dockerfiles/Dockerfile.base, inputs: [config/missing.conf] }
            """);
        Assert.Contains("input 'config/missing.conf' does not exist", e.Message);
    }

    [Theory]
    [InlineData("../outside")]
    [InlineData("/etc/passwd")]
    [InlineData("dotfiles/../../x")]
    public void An_input_outside_the_repository_is_rejected(string input)
    {
        var e = Fails($$"""
            images:
              - { name: base, dockerfile: Dockerfiles/Dockerfile.base, inputs: ["{{input}}"] }
            """);
        Assert.Contains("is outside the repository", e.Message);
    }

    [Fact]
    public void A_duplicate_name_is_rejected()
    {
        var e = Fails("""
            images:
              - { name: base, dockerfile: Dockerfiles/Dockerfile.base }
              - { name: base, dockerfile: Dockerfiles/Dockerfile.k8s }
            """);
        Assert.Contains("image 'base' is declared twice", e.Message);
    }

    [Fact]
    public void An_unknown_key_in_an_image_is_rejected_with_its_line()
    {
        var e = Fails("""
            images:
              - name: base
                dockerfile: Dockerfiles/Dockerfile.base
                parnet: nothing
            """);
        Assert.Contains("unknown key 'parnet' in an image entry", e.Message);
        Assert.Contains("line 8", e.Message);
    }

    [Fact]
    public void An_unknown_top_level_key_is_rejected()
    {
        var e = Assert.Throws<StrataConfigException>(() => GraphLoader.Parse(Header + "imagez: []\n", _repo.Root));
        Assert.Contains("unknown key 'imagez' in the top level", e.Message);
    }

    [Fact]
    public void An_unpinned_base_os_is_rejected()
    {
        var e = Assert.Throws<StrataConfigException>(() => GraphLoader.Parse("""
            repository: strata/test
            base_os:
              image: debian:trixie-slim
              debootstrap: { suite: trixie, mirror: "http://deb.debian.org/debian" }
            images:
              - { name: base, dockerfile: Dockerfiles/Dockerfile.base }
            """, _repo.Root));
        Assert.Contains("not pinned by digest", e.Message);
    }

    [Theory]
    [InlineData("Strata/Test")]          // upper case
    [InlineData("strata/test:v1")]       // a tag: the key tags are Strata's
    [InlineData("strata//test")]
    public void A_repository_that_is_not_a_plain_image_repository_is_rejected(string repository)
    {
        var e = Assert.Throws<StrataConfigException>(() => GraphLoader.Parse($"""
            repository: "{repository}"
            base_os:
              image: debian:trixie-slim@sha256:0000000000000000000000000000000000000000000000000000000000000000
              debootstrap: {"{"} suite: trixie, mirror: "http://deb.debian.org/debian" {"}"}
            images:
              - {"{"} name: base, dockerfile: Dockerfiles/Dockerfile.base {"}"}
            """, _repo.Root));
        Assert.Contains("is not a valid image repository name", e.Message);
    }

    [Fact]
    public void A_pinned_base_os_is_parsed_where_it_enters() =>
        Assert.Equal("sha256:" + new string('0', 64), Load("images:\n  - { name: base, dockerfile: Dockerfiles/Dockerfile.base }\n").BaseOs.Image.Digest);

    [Fact]
    public void Invalid_yaml_names_the_line()
    {
        var e = Assert.Throws<StrataConfigException>(() => GraphLoader.Parse("repository: [unclosed\nimages: x\n", _repo.Root));
        Assert.Contains("not valid YAML", e.Message);
    }

    [Fact]
    public void Platforms_default_to_amd64_and_an_image_may_narrow_the_chains()
    {
        Assert.Equal([Platform.LinuxAmd64], Load("images:\n  - { name: base, dockerfile: Dockerfiles/Dockerfile.base }\n").Platforms);

        var graph = Load("""
            platforms: [linux/amd64, linux/aarch64]
            images:
              - { name: base, dockerfile: Dockerfiles/Dockerfile.base }
              - { name: k8s, parent: base, dockerfile: Dockerfiles/Dockerfile.k8s, platforms: [linux/arm64] }
            """);

        Assert.Equal([Platform.LinuxAmd64, Platform.LinuxArm64], graph.Platforms);
        Assert.Equal([Platform.LinuxAmd64, Platform.LinuxArm64], graph.Get("base").Platforms);
        Assert.Equal([Platform.LinuxArm64], graph.Get("k8s").Platforms);
        Assert.Equal(["base"], graph.ImagesFor(Platform.LinuxAmd64).Select(i => i.Name));
    }

    [Theory]
    [InlineData("platforms: [linux/amd64, linux/sparc]\nimages:\n  - { name: base, dockerfile: Dockerfiles/Dockerfile.base }\n",
        "line 5", "unknown architecture 'sparc'")]
    [InlineData("platforms: [amd64]\nimages:\n  - { name: base, dockerfile: Dockerfiles/Dockerfile.base }\n", "line 5", "OS/ARCH")]
    [InlineData("platforms: []\nimages:\n  - { name: base, dockerfile: Dockerfiles/Dockerfile.base }\n", "line 5", "non-empty list")]
    [InlineData("platforms: [linux/arm64, linux/aarch64]\nimages:\n  - { name: base, dockerfile: Dockerfiles/Dockerfile.base }\n",
        "line 5", "listed twice")]
    [InlineData("images:\n  - { name: base, dockerfile: Dockerfiles/Dockerfile.base, platforms: [linux/arm64] }\n",
        "line 6", "only narrow")]
    public void A_malformed_unknown_or_widening_platform_is_an_error_at_its_line(string yaml, string line, string why)
    {
        var e = Fails(yaml);

        Assert.Contains($"strata.yaml: {line}:", e.Message);
        Assert.Contains(why, e.Message);
    }

    [Fact]
    public void The_repository_strata_yaml_is_valid()
    {
        var root = RepositoryRoot.Find();
        var graph = GraphLoader.Load(Path.Combine(root, "strata.yaml"));
        Assert.Equal(["base", "k8s", "gemini", "latest"], graph.Images.Select(i => i.Name));
        Assert.NotNull(graph.Dotfiles);
        Assert.Equal([Platform.LinuxAmd64, Platform.LinuxArm64], graph.Platforms);
    }
}
