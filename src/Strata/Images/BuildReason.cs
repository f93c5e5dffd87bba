namespace Strata.Images;

/// <summary>How a component of a key differs from its previous version.</summary>
public enum ComponentChangeKind { Changed, Added, Removed }

/// <summary>One component of a stage's key that is not what it was (see <see cref="Keys.KeyComponent"/> for the names).</summary>
public sealed record ComponentChange(string Component, ComponentChangeKind Kind);

/// <summary>Why an image is built: what moved its key, from the diff of its stages' key components against a previous plan.</summary>
public abstract record BuildReason
{
    /// <summary>No plan of this repository had the image on this platform: its first build here.</summary>
    public sealed record FirstBuild(Oci.Platform Platform) : BuildReason;

    /// <summary>The key is the one the previous plans had: its image is just not here (nor in the registry): pruned, or never finished.</summary>
    public sealed record KeyUnchanged : BuildReason;

    /// <summary>These components moved the key.</summary>
    /// <param name="Dockerfile">The file name of the stage Dockerfile whose bytes changed, for "dockerfile" (the core's, else the thin layer's).</param>
    public sealed record Changed(IReadOnlyList<ComponentChange> Changes, string? Parent, string Dockerfile, string ThinDockerfile) : BuildReason;

    /// <summary>"parent k8s changed; tool helm changed": what a plan table, a report and a pull request show.</summary>
    public sealed override string ToString() => this switch
    {
        FirstBuild f => $"first build for {f.Platform}",
        KeyUnchanged => "key unchanged, no image under it",
        Changed c => Describe(c),
        _ => "",
    };

    private const int Shown = 4;

    private static string Describe(Changed c)
    {
        var parts = c.Changes.Select(ch => Describe(ch, c)).Distinct().ToList();
        return string.Join("; ", parts.Take(Shown)) + (parts.Count > Shown ? $"; {parts.Count - Shown} more" : "");
    }

    private static string Describe(ComponentChange change, Changed c)
    {
        var verb = change.Kind switch { ComponentChangeKind.Added => "added", ComponentChangeKind.Removed => "removed", _ => "changed" };
        var name = change.Component;
        var colon = name.IndexOf(':');
        var (kind, item) = colon < 0 ? (name, null) : (name[..colon], name[(colon + 1)..]);
        return kind switch
        {
            "dockerfile" => $"{c.Dockerfile} {verb}",
            "thin-dockerfile" => $"{c.ThinDockerfile} {verb}",
            "input" => $"input {item} {verb}",
            "tool" => $"tool {item} {verb}",
            "parent" => $"parent {c.Parent ?? "image"} changed",
            "base-os" => "base OS changed",
            "args" => "build args changed",
            "labels" => "labels changed",
            _ => $"{(item is null ? kind : $"{kind} {item}")} {verb}",
        };
    }

    /// <summary>
    /// Why <paramref name="image"/> is built, against <paramref name="history"/> (plans' stage keys, oldest first): per stage,
    /// the newest recorded version of the same image, kind and platform whose key differs from this plan's (the version the
    /// engine or registry may still have), and the components that differ from it. The thin layer's "parent" is its own core:
    /// a core change is told as the core's reason.
    /// </summary>
    public static BuildReason Explain(ImagePlan image, IReadOnlyList<IReadOnlyList<StageKeys>> history)
    {
        var recorded = history.Reverse().SelectMany(p => p).ToList();
        if (!recorded.Any(r => r.IsFor(image.Core))) return new FirstBuild(image.Platform);
        var changes = new List<ComponentChange>();
        foreach (var stage in image.Stages)
        {
            var previous = recorded.FirstOrDefault(r => r.IsFor(stage) && r.Key != stage.Key);
            if (previous is null) continue;
            var thin = stage.Kind == StageKind.Published && image.HasThinLayer;
            foreach (var change in Diff(previous.Components, stage.Components.ToDictionary(c => c.Name, c => c.Digest)))
                if (!(thin && change.Component == "parent"))
                    changes.Add(thin && change.Component == "dockerfile" ? change with { Component = "thin-dockerfile" } : change);
        }
        return changes.Count == 0 ? new KeyUnchanged()
            : new Changed(changes, image.Spec.Parent, Path.GetFileName(image.Core.Dockerfile), Path.GetFileName(image.ThinLayer?.Dockerfile ?? ""));
    }

    /// <summary>The components that differ, in name order (the recipe's order is not kept; names sort by kind).</summary>
    public static IReadOnlyList<ComponentChange> Diff(IReadOnlyDictionary<string, string> before, IReadOnlyDictionary<string, string> now) =>
        before.Keys.Union(now.Keys).Order(StringComparer.Ordinal).Select(name =>
                !before.TryGetValue(name, out var old) ? new ComponentChange(name, ComponentChangeKind.Added)
                : !now.TryGetValue(name, out var current) ? new ComponentChange(name, ComponentChangeKind.Removed)
                : old != current ? new ComponentChange(name, ComponentChangeKind.Changed) : null)
            .OfType<ComponentChange>().ToList();
}

/// <summary>The run's reasons: the plan history read once, each built image explained against it.</summary>
public sealed class BuildReasons(PlanHistory? history)
{
    private readonly Lazy<IReadOnlyList<IReadOnlyList<StageKeys>>> _stages = new(() => history?.Stages() ?? []);

    public BuildReason For(ImagePlan image) => BuildReason.Explain(image, _stages.Value);
}
