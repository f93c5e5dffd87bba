using Strata.Graph;
using Strata.Pipeline;
using Strata.Tests.Support;

namespace Strata.Tests.Pipeline;

public sealed class TargetsTests : IDisposable
{
    private readonly TempRepo _repo = new();

    public void Dispose() => _repo.Dispose();

    private ImageGraph Graph(string name) => GraphLoader.Parse($"""
        repository: t/targets
        base_os: {"{"} image: "debian:trixie-slim@sha256:d7e12182ce18b85b93007c1dedf31f2d29e01ccf3182cc4017c709b6259bc132", debootstrap: {"{"} suite: trixie, variant: minbase, mirror: "http://deb.debian.org/debian" {"}"} {"}"}
        images:
          - {"{"} name: {name}, dockerfile: Dockerfile {"}"}
        """, _repo.Write("Dockerfile", "FROM scratch\n").Root);

    [Theory]
    [InlineData("plan", "has the name of a built-in target")]
    [InlineData("default", "has the name of a built-in target")]
    [InlineData("smoke-x", "clashes with the smoke-<image> targets")]
    public void An_image_may_not_take_a_target_name(string name, string message)
    {
        var e = Assert.Throws<StrataConfigException>(() => Targets.CheckImageNames(Graph(name)));
        Assert.StartsWith($"strata.yaml: line 4: image '{name}' {message}", e.Message);
        Assert.EndsWith("; rename it.", e.Message);
    }

    [Fact]
    public void Other_names_are_fine()
    {
        Targets.CheckImageNames(Graph("workstation"));
        Assert.Equal("smoke-workstation", Targets.SmokeOf("workstation"));
    }
}
