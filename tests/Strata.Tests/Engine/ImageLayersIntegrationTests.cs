using Strata.Images;
using Strata.Tests.Support;

namespace Strata.Tests.Engine;

/// <summary>
/// Layer sizes and waste read from the real engine, on tiny images of a few RUN steps on the chain's OS image: from the
/// engine's own layer folders where they are on this machine, which must read as `docker save` does.
/// </summary>
[Collection("engine")]
[Trait("Needs", "Engine")]
public sealed class ImageLayersIntegrationTests(EngineFixture engine)
{
    [Fact]
    public async Task A_file_written_then_deleted_and_one_overwritten_are_counted_as_wasted_in_the_layer_that_wrote_them()
    {
        await using var images = new ThrowawayImages(engine.Docker, "strata-layers-test");
        var tag = await images.BuildAsync("waste", $"""
            FROM {engine.BaseOsImage}
            RUN head -c 300000 /dev/zero > /big && head -c 1000 /dev/zero > /keep
            RUN rm /big
            RUN head -c 5000 /dev/zero > /keep
            """);

        var layers = await engine.Docker.Images.ReadLayersAsync(tag);
        var size = ImageSize.Of(layers);

        var (write, remove, overwrite) = (size.Layers[^3], size.Layers[^2], size.Layers[^1]);
        Assert.Contains("head -c 300000", write.CreatedBy);
        Assert.Equal(301_000, write.Bytes);
        Assert.Equal(301_000, write.WastedBytes);
        Assert.Equal((0L, 0L), (remove.Bytes, remove.WastedBytes));
        Assert.Equal((5_000L, 0L), (overwrite.Bytes, overwrite.WastedBytes));
        Assert.True(size.Layers[0].Bytes > 10_000_000, "the OS layer is below"); // the base OS, tens of MB
        Assert.Equal(301_000, size.WastedBytes - size.Layers.Take(size.Layers.Count - 3).Sum(l => l.WastedBytes));
    }

    [Fact]
    public async Task The_engine_s_layer_folders_read_as_its_saved_layers_do_whiteouts_opaque_folders_and_hard_links_included()
    {
        await using var images = new ThrowawayImages(engine.Docker, "strata-layers-test");
        var tag = await images.BuildAsync("folders", $"""
            FROM {engine.BaseOsImage}
            RUN mkdir -p /opt/keep /opt/gone /opt/opaque && echo one > /opt/keep/a && ln /opt/keep/a /opt/keep/linked \
                && echo two > /opt/gone/b && echo three > /opt/opaque/c && echo short > /opt/over && ln -s a /opt/keep/link
            RUN rm -rf /opt/gone /opt/opaque /etc/issue && mkdir /opt/opaque && echo four > /opt/opaque/d && echo longer > /opt/over
            """);
        var store = (Strata.Engine.EngineImages)engine.Docker.Images;

        var folders = await store.ReadLayerFoldersAsync(tag);
        var saved = await store.SaveAndReadLayersAsync(tag);

        Assert.NotNull(folders);
        Assert.Equal(saved.Select(l => l.CreatedBy), folders.Select(l => l.CreatedBy));
        for (var i = 0; i < saved.Count; i++)
            Assert.Equal(saved[i].Entries.OrderBy(e => e.Path, StringComparer.Ordinal).ThenBy(e => e.Kind),
                folders[i].Entries.OrderBy(e => e.Path, StringComparer.Ordinal).ThenBy(e => e.Kind));
        Assert.Equal(ImageSize.Of(saved).Layers, ImageSize.Of(folders).Layers);
        // What the comparison covers: each kind of entry, and one of a hard-linked pair.
        var top = folders[^1].Entries;
        Assert.Contains(new Strata.Engine.LayerEntry("/opt/gone", 0, Strata.Engine.LayerEntryKind.Whiteout), top);
        Assert.Contains(new Strata.Engine.LayerEntry("/etc/issue", 0, Strata.Engine.LayerEntryKind.Whiteout), top);
        Assert.Contains(new Strata.Engine.LayerEntry("/opt/opaque", 0, Strata.Engine.LayerEntryKind.Opaque), top);
        Assert.Single(folders[^2].Entries, e => e.Path.StartsWith("/opt/keep/", StringComparison.Ordinal) && e.Kind == Strata.Engine.LayerEntryKind.File);
    }
}
