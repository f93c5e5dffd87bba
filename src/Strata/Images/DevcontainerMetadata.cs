using System.Text;
using System.Text.Json;
using Strata.Graph;

namespace Strata.Images;

/// <summary>
/// The <c>devcontainer.metadata</c> label of a published image (the devcontainers spec's "image
/// metadata"): a JSON array with one entry per image of the lineage that has a <c>devcontainer:</c>
/// section in strata.yaml, root first. Tools (VS Code Dev Containers, the devcontainer CLI, DevPod)
/// merge the entries, then the user's devcontainer.json last, property by property as the spec says:
/// users last value wins, containerEnv per variable last wins, init true if any is, mounts collected
/// (same target: last wins). <see cref="Merged"/> applies the same rules to the properties Strata writes.
/// Strata writes no <c>mounts</c>: the host folders are declared under customizations (see
/// <see cref="Graph.DevcontainerSpec.HostMounts"/>), so a config that names only the image starts anywhere.
/// </summary>
public sealed record DevcontainerMetadata(IReadOnlyList<DevcontainerEntry> Entries)
{
    public const string Label = "devcontainer.metadata";

    /// <summary>
    /// The largest label Strata writes. The spec names no limit for labels (it notes ~65k characters per
    /// Dockerfile line, and an engine error above 500 kB of request header); a label travels here as one
    /// argv string of the docker client (Linux: at most 128 KiB each), so 64 KiB leaves room to spare.
    /// </summary>
    public const int MaxBytes = 64 * 1024;

    /// <summary>The customizations key under which Strata's own, unapplied declarations are kept.</summary>
    public const string CustomizationsKey = "dev.strata";

    public bool IsEmpty => Entries.Count == 0;

    /// <summary>The image's metadata: one entry per image of its lineage that declares a section, root first.</summary>
    public static DevcontainerMetadata For(ImageGraph graph, string image) =>
        new(graph.Lineage(image)
            .Where(i => i.Devcontainer is not null)
            .Select(i => DevcontainerEntry.From(i.Name, i.Devcontainer!))
            .ToList());

    /// <summary>The label's value: compact JSON, the same bytes for the same entries (it is part of the image's key).</summary>
    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            foreach (var entry in Entries) entry.Write(json);
            json.WriteEndArray();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>The label's value, refused when it is over <see cref="MaxBytes"/>.</summary>
    public string ToLabel(string image)
    {
        var json = ToJson();
        var bytes = Encoding.UTF8.GetByteCount(json);
        return bytes <= MaxBytes
            ? json
            : throw new StrataConfigException(
                $"image '{image}': its {Label} label would be {bytes} bytes, over Strata's limit of {MaxBytes}; " +
                "shorten the devcontainer sections of strata.yaml (its lineage's entries add up).");
    }

    /// <summary>Reads a label written by any tool: a JSON array of entries, or the single object the spec also allows.</summary>
    /// <exception cref="FormatException">Not valid JSON, or not an array/object of entries; the message says where.</exception>
    public static DevcontainerMetadata Parse(string label)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(label);
        }
        catch (JsonException e)
        {
            throw new FormatException($"{Label} is not valid JSON: {e.Message}");
        }
        using (doc)
        {
            var items = doc.RootElement.ValueKind switch
            {
                JsonValueKind.Array => doc.RootElement.EnumerateArray().ToList(),
                JsonValueKind.Object => [doc.RootElement],
                var kind => throw new FormatException($"{Label} must be a JSON array of objects (or one object), not {kind}."),
            };
            return new DevcontainerMetadata(items.Select((e, i) => DevcontainerEntry.Read(e, i)).ToList());
        }
    }

    /// <summary>The entries merged by the spec's rules (the user's devcontainer.json not included).</summary>
    public DevcontainerEntry Merged()
    {
        string? remoteUser = null, containerUser = null;
        var init = false;
        var env = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var mounts = new List<string>();
        var hostMounts = new List<string>();
        var vaultRunArgs = new List<string>();
        foreach (var e in Entries)
        {
            remoteUser = e.RemoteUser ?? remoteUser;
            containerUser = e.ContainerUser ?? containerUser;
            init |= e.Init == true;
            foreach (var (k, v) in e.ContainerEnv) env[k] = v;
            Collect(mounts, e.Mounts);
            Collect(hostMounts, e.HostMounts);
            vaultRunArgs.AddRange(e.VaultRunArgs.Where(a => !vaultRunArgs.Contains(a)));
        }
        return new DevcontainerEntry(null, remoteUser, containerUser, init ? true : null, env, mounts, vaultRunArgs, hostMounts);

        static void Collect(List<string> into, IEnumerable<string> entries)
        {
            foreach (var m in entries)
            {
                into.RemoveAll(x => DevcontainerEntry.MountTarget(x) == DevcontainerEntry.MountTarget(m));
                into.Add(m);
            }
        }
    }
}

/// <summary>One entry of the label, in the spec's property names.</summary>
/// <param name="Image">Which image of the chain declared it (kept under customizations, which tools ignore).</param>
/// <param name="Mounts">Applied mounts, in the spec's string form (docker --mount syntax); only read from other tools' labels, Strata writes none.</param>
/// <param name="HostMounts">Declared host folders (customizations, which tools ignore), in the same string form,
/// e.g. "source=${localEnv:HOME}/.kube,target=/mnt/host-config/kube,type=bind,readonly": what a devcontainer.json may opt into.</param>
public sealed record DevcontainerEntry(
    string? Image,
    string? RemoteUser,
    string? ContainerUser,
    bool? Init,
    IReadOnlyDictionary<string, string> ContainerEnv,
    IReadOnlyList<string> Mounts,
    IReadOnlyList<string> VaultRunArgs,
    IReadOnlyList<string> HostMounts)
{
    public static DevcontainerEntry From(string image, DevcontainerSpec spec) =>
        new(image, spec.RemoteUser, spec.ContainerUser, spec.Init,
            new SortedDictionary<string, string>(spec.ContainerEnv.ToDictionary(), StringComparer.Ordinal),
            [], spec.VaultRunArgs, spec.HostMounts.Select(m => m.ToString()).ToList());

    /// <summary>The target of a mount string ("target=", or its aliases "destination=" and "dst=").</summary>
    public static string? MountTarget(string mount) =>
        mount.Split(',').Select(p => p.Split('=', 2)).Where(p => p.Length == 2 && p[0] is "target" or "destination" or "dst")
            .Select(p => p[1]).LastOrDefault();

    internal void Write(Utf8JsonWriter json)
    {
        json.WriteStartObject();
        if (RemoteUser is not null) json.WriteString("remoteUser", RemoteUser);
        if (ContainerUser is not null) json.WriteString("containerUser", ContainerUser);
        if (Init is { } init) json.WriteBoolean("init", init);
        if (ContainerEnv.Count > 0)
        {
            json.WriteStartObject("containerEnv");
            foreach (var (k, v) in ContainerEnv.OrderBy(kv => kv.Key, StringComparer.Ordinal)) json.WriteString(k, v);
            json.WriteEndObject();
        }
        if (Mounts.Count > 0)
        {
            json.WriteStartArray("mounts");
            foreach (var m in Mounts) json.WriteStringValue(m);
            json.WriteEndArray();
        }
        json.WriteStartObject("customizations");
        json.WriteStartObject(DevcontainerMetadata.CustomizationsKey);
        if (Image is not null) json.WriteString("image", Image);
        if (VaultRunArgs.Count > 0)
        {
            json.WriteStartArray("vaultRunArgs");
            foreach (var a in VaultRunArgs) json.WriteStringValue(a);
            json.WriteEndArray();
        }
        if (HostMounts.Count > 0)
        {
            json.WriteStartArray("hostMounts");
            foreach (var m in HostMounts) json.WriteStringValue(m);
            json.WriteEndArray();
        }
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteEndObject();
    }

    internal static DevcontainerEntry Read(JsonElement e, int index)
    {
        var where = $"entry {index}";
        if (e.ValueKind != JsonValueKind.Object)
            throw new FormatException($"{DevcontainerMetadata.Label}: {where} is {e.ValueKind}, not an object.");

        string? Str(JsonElement parent, string name) =>
            !parent.TryGetProperty(name, out var v) ? null
            : v.ValueKind == JsonValueKind.String ? v.GetString()
            : throw new FormatException($"{DevcontainerMetadata.Label}: {where}: '{name}' must be a string, not {v.ValueKind}.");

        IReadOnlyList<string> Strings(JsonElement parent, string name) =>
            !parent.TryGetProperty(name, out var v) ? []
            : v.ValueKind == JsonValueKind.Array && v.EnumerateArray().All(x => x.ValueKind == JsonValueKind.String)
                ? v.EnumerateArray().Select(x => x.GetString()!).ToList()
                : throw new FormatException($"{DevcontainerMetadata.Label}: {where}: '{name}' must be an array of strings.");

        bool? init = !e.TryGetProperty("init", out var i) ? null
            : i.ValueKind is JsonValueKind.True or JsonValueKind.False ? i.GetBoolean()
            : throw new FormatException($"{DevcontainerMetadata.Label}: {where}: 'init' must be true or false.");

        var env = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (e.TryGetProperty("containerEnv", out var envNode))
        {
            if (envNode.ValueKind != JsonValueKind.Object)
                throw new FormatException($"{DevcontainerMetadata.Label}: {where}: 'containerEnv' must be an object of strings.");
            foreach (var p in envNode.EnumerateObject())
                env[p.Name] = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()!
                    : throw new FormatException($"{DevcontainerMetadata.Label}: {where}: containerEnv '{p.Name}' must be a string.");
        }

        // Strata writes mounts as strings; the spec also allows { type, source, target } objects.
        var mounts = new List<string>();
        if (e.TryGetProperty("mounts", out var mountsNode) && mountsNode.ValueKind == JsonValueKind.Array)
            foreach (var m in mountsNode.EnumerateArray())
                mounts.Add(m.ValueKind == JsonValueKind.String ? m.GetString()!
                    : m.ValueKind == JsonValueKind.Object ? $"source={Str(m, "source")},target={Str(m, "target")},type={Str(m, "type")}"
                    : throw new FormatException($"{DevcontainerMetadata.Label}: {where}: a mount must be a string or an object."));

        string? image = null;
        IReadOnlyList<string> vault = [], hostMounts = [];
        if (e.TryGetProperty("customizations", out var c) && c.ValueKind == JsonValueKind.Object &&
            c.TryGetProperty(DevcontainerMetadata.CustomizationsKey, out var strata) && strata.ValueKind == JsonValueKind.Object)
        {
            image = Str(strata, "image");
            vault = Strings(strata, "vaultRunArgs");
            hostMounts = Strings(strata, "hostMounts");
        }
        return new DevcontainerEntry(image, Str(e, "remoteUser"), Str(e, "containerUser"), init, env, mounts, vault, hostMounts);
    }
}
