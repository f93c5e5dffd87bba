using Strata.Engine;
using Strata.Graph;
using Strata.Images;
using Strata.Reporting;
using Strata.Tests.Support;
using Strata.Tests.Support.Fakes;

namespace Strata.Tests.Images;

/// <summary>Sizes by layer, the bytes wasted across layers, and the size_budget gate (plans and fakes: no engine).</summary>
public sealed class ImageSizeTests : IDisposable
{
    private readonly FakeWorld _world = new();

    public void Dispose() => _world.Dispose();

    private static LayerEntry File(string path, long size) => new(path, size, LayerEntryKind.File);
    private static LayerEntry Deleted(string path) => new(path, 0, LayerEntryKind.Whiteout);
    private static LayerEntry Emptied(string folder) => new(folder, 0, LayerEntryKind.Opaque);

    [Fact]
    public void Bytes_written_then_deleted_or_overwritten_by_a_later_layer_are_wasted_in_the_layer_that_wrote_them()
    {
        var size = ImageSize.Of([
            new ImageLayer("RUN install", [File("/usr/bin/a", 100), File("/tmp/cache/x", 40), File("/tmp/cache/y", 60), File("/var/log/l", 5), File("/etc/c", 7)]),
            new ImageLayer("RUN again", [File("/etc/c", 9), File("/etc/c", 11), File("/opt/o", 1000)]), // same layer twice: not waste
            new ImageLayer("RUN clean", [Deleted("/tmp/cache"), Emptied("/var/log"), File("/var/log/new", 3), File("/usr/bin/a", 100)]),
            new ImageLayer("RUN drop", [Deleted("/opt/o"), Deleted("/never/was")]),
        ]);

        Assert.Equal([100 + 40 + 60 + 5 + 7, 9 + 11 + 1000, 103, 0], size.Layers.Select(l => l.Bytes));
        Assert.Equal([100 + 40 + 60 + 5 + 7, 1000, 0, 0], size.Layers.Select(l => l.WastedBytes)); // all of layer 1; /opt/o of layer 2 (not /etc/c: live)
        Assert.Equal(1212, size.WastedBytes);
        Assert.Equal(["RUN again", "RUN install"], size.Largest(2).Select(l => l.CreatedBy));
    }

    [Theory]
    [InlineData("1.5GB", 1_500_000_000L)]
    [InlineData("800MB", 800_000_000L)]
    [InlineData("2GiB", 2L << 30)]
    [InlineData("512 MiB", 512L << 20)]
    [InlineData("1000", 1000L)]
    public void A_size_budget_reads_decimal_and_binary_units(string text, long bytes)
    {
        Assert.True(ByteSize.TryParse(text, out var size));
        Assert.Equal(bytes, size.Bytes);
    }

    private void WriteChain(string budget) => _world.Repo.Write("strata.yaml", $$"""
            repository: acme/workstation
            {{FakeWorld.BaseOsYaml}}
            images:
              - { name: base, dockerfile: Dockerfiles/Dockerfile.base }
              - { name: k8s, parent: base, dockerfile: Dockerfiles/Dockerfile.k8s, size_budget: {{budget}} }
            """).Write("Dockerfiles/Dockerfile.base", "FROM x\n").Write("Dockerfiles/Dockerfile.k8s", "FROM x\n");

    [Fact]
    public void A_budget_that_is_not_a_size_is_refused_with_the_fix()
    {
        WriteChain("\"big\"");
        var e = Assert.Throws<StrataConfigException>(() => GraphLoader.Load(_world.Repo.Path("strata.yaml")));
        Assert.Contains("image 'k8s': size_budget 'big' is not a size; write e.g. \"1.5GB\"", e.Message);
    }

    [Fact]
    public async Task An_image_over_its_budget_fails_the_build_naming_size_budget_and_largest_layers_and_no_tag_moves()
    {
        WriteChain("\"1.5MB\"");
        _world.Engine.Layers["k8s-"] = [
            new ImageLayer("/bin/sh -c apt-get install -y everything", [File("/usr/lib/big", 1_200_000), File("/tmp/debs", 300_000)]),
            new ImageLayer("/bin/sh -c rm -rf /tmp/debs", [Deleted("/tmp/debs")]),
            new ImageLayer("/bin/sh -c #(nop) COPY file:abc in /etc/k8s", [File("/etc/k8s/conf", 200_000)]),
        ];
        using var pipeline = _world.Pipeline(withRegistry: false);
        await (await pipeline.OnlyRunAsync()).Build.RunAsync("base");

        var e = await Assert.ThrowsAsync<SizeBudgetExceededException>(() => pipeline.BuildAsync("k8s"));

        Assert.Equal("image 'k8s' (linux/amd64) is 1.7 MB, over its size_budget of 1.5 MB in strata.yaml; largest layers: " +
                     "1.5 MB RUN apt-get install -y everything, 200 kB COPY file:abc in /etc/k8s, 0 B RUN rm -rf /tmp/debs. No tag moved. " +
                     "Make the image smaller (the largest layers first; see wasted_bytes in artifacts/build-report.json) or raise its size_budget.", e.Message);
        Assert.DoesNotContain("acme/workstation:k8s", _world.Engine.Tags);
        Assert.Empty(_world.Smoke.Ran);
        var k8s = pipeline.Record.Images.Single(i => i.Name == "k8s"); // the report still says what was built, and why it is too big
        Assert.Equal(300_000, k8s.WastedBytes);
        Assert.Equal([1_500_000L, 0, 200_000], k8s.Layers!.Select(l => l.Bytes));
        Assert.Contains("(293 KiB wasted)", SummaryTable.ForBuild([k8s]));

        // Whoever promotes meets the same gate (here after a passing smoke test).
        await Assert.ThrowsAsync<SizeBudgetExceededException>(() => pipeline.ProveAndPromoteAsync("k8s"));
        Assert.DoesNotContain("acme/workstation:k8s", _world.Engine.Tags);
    }

    [Fact]
    public async Task Within_its_budget_an_image_is_built_and_promoted()
    {
        WriteChain("\"2MB\"");
        _world.Engine.Layers["k8s-"] = [new ImageLayer("RUN x", [File("/a", 1_900_000)])];
        using var pipeline = _world.Pipeline(withRegistry: false);
        await (await pipeline.OnlyRunAsync()).Build.RunAsync("base");
        await pipeline.ProveAndPromoteAsync("base");
        await pipeline.ProveAndPromoteAsync("k8s");
        Assert.Contains("acme/workstation:k8s", _world.Engine.Tags);
    }

    [Fact]
    public async Task The_release_notes_give_each_images_size_its_change_against_the_previous_release_and_the_picture()
    {
        WriteChain("\"2MB\"");
        _world.Engine.Layers["k8s-"] = [new ImageLayer("RUN x", [File("/a", 1_000_000)]), new ImageLayer("RUN rm", [Deleted("/a")])];
        using (var first = _world.Pipeline(withRegistry: true))
        {
            await first.ReleaseAsync(FakeWorld.Release);
            first.Reports.Write(); // the script's end of run: the plan history the next reasons are told against
        }
        var notes = System.IO.File.ReadAllText(_world.Repo.Path("artifacts/release-notes.md"));
        Assert.Contains("## k8s (linux/amd64)\n\nSize: 10 B compressed; 1 MB unpacked, 1 MB of it wasted (written, then deleted or overwritten by a later layer).\n", notes);
        Assert.Contains("```mermaid\nflowchart LR\n", notes);
        Assert.Contains("p0n1[\"k8s<br/>build: first build for linux/amd64\"]:::build", notes);

        _world.Repo.Write("Dockerfiles/Dockerfile.k8s", "FROM y\n");
        using (var second = _world.Pipeline(withRegistry: true))
            await second.ReleaseAsync(FakeWorld.Release);
        notes = System.IO.File.ReadAllText(_world.Repo.Path("artifacts/release-notes.md"));
        Assert.Contains("Size: 10 B compressed (+0 B against the previous release); 1 MB unpacked", notes);
        Assert.Contains("k8s<br/>build: Dockerfile.k8s changed", notes);
        Assert.Contains("base<br/>reuse", notes);
    }
}
