namespace Strata.Keys;

/// <summary>
/// One named part of a content key and a digest of exactly the fields that entered the key under it:
/// two keys differ exactly where their components' digests differ, so the difference says why an image
/// is rebuilt ("dockerfile", "input:dotfiles/.bashrc", "tool:helm", "parent", "base-os", "args").
/// </summary>
/// <param name="Digest">The first 16 hex of a SHA-256 over the component's fields (enough to tell two versions apart).</param>
public sealed record KeyComponent(string Name, string Digest)
{
    /// <summary>
    /// Which component a key field explains, by the field's name (and for "parent" its value): the one place
    /// to teach a new kind of key input a name of its own. A field not named here is a component of its first
    /// segment ("packages" and "package.jq" both explain "package..." as themselves: no line needed). Null: a
    /// constant of the recipe that explains nothing.
    /// </summary>
    public static string? NameOf(string field, string value)
    {
        var parts = field.Split('.');
        return parts[0] switch
        {
            "version" or "stage" => null,
            "parent" when value.StartsWith("base-os:", StringComparison.Ordinal) => "base-os",
            "tool" when parts.Length > 1 => "tool:" + parts[1],
            "arg" => "args",
            "label" => "labels",
            var head => head,
        };
    }
}
