using Strata.Oci;

namespace Strata.Images;

/// <summary>A stage's key as a plan history keeps it: its identity (image, kind, platform), its key and its key's named components.</summary>
public sealed record StageKeys(string Image, StageKind Kind, Platform Platform, string Key, IReadOnlyDictionary<string, string> Components)
{
    public static StageKeys Of(Stage stage) =>
        new(stage.ImageName, stage.Kind, stage.Platform, stage.Key, stage.Components.ToDictionary(c => c.Name, c => c.Digest));

    public bool IsFor(Stage stage) => Image == stage.ImageName && Kind == stage.Kind && Platform == stage.Platform;
}
