using System.Text;
using System.Text.Json.Nodes;

namespace Strata.Reproducible;

/// <summary>
/// Makes an image config depend on the key's inputs only: its dates and its history's dates are the epoch, the
/// fields that name the build container or the engine are removed, and its diff ids are those of the normalised layers.
/// </summary>
public static class ImageConfigNormaliser
{
    /// <summary>Top-level fields that record the build, not the image: the classic builder's container (its id is the
    /// hostname), the engine's version, BuildKit's inline cache (it names the blobs of the layers before they were
    /// normalised, so it could serve no later build) and its build info.</summary>
    public static readonly IReadOnlyList<string> Removed =
        ["container", "container_config", "docker_version", "moby.buildkit.cache.v0", "moby.buildkit.buildinfo.v0"];

    /// <summary>Labels that name the commit, not the inputs: two commits with one key must give one image (the
    /// provenance records the commit).</summary>
    public static readonly IReadOnlyList<string> RemovedLabels = ["org.opencontainers.image.revision"];

    public static byte[] Normalise(byte[] config, IReadOnlyList<string> diffIds)
    {
        var root = JsonNode.Parse(config)!.AsObject();
        foreach (var field in Removed) root.Remove(field);
        root["created"] = ReproducibleEpoch.Rfc3339;
        if (root["history"] is JsonArray history)
            foreach (var step in history.OfType<JsonObject>())
                if (step.ContainsKey("created")) step["created"] = ReproducibleEpoch.Rfc3339;
        if (root["config"] is JsonObject run)
        {
            if (run.ContainsKey("Hostname")) run["Hostname"] = "";
            if (run["Labels"] is JsonObject labels)
                foreach (var label in RemovedLabels) labels.Remove(label);
        }
        var rootfs = root["rootfs"] as JsonObject ?? throw new InvalidDataException("the image config has no rootfs.");
        rootfs["diff_ids"] = new JsonArray(diffIds.Select(d => (JsonNode)JsonValue.Create(d)!).ToArray());
        return Encoding.UTF8.GetBytes(root.ToJsonString());
    }
}
