using Strata.Images;
using Strata.Tests.Support;

namespace Strata.Tests.Engine;

/// <summary>Layer sizes and waste read from the real engine (`docker save`), on a tiny image of three RUN steps on the chain's OS image.</summary>
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
}
