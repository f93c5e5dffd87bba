using System.Text.Json;

namespace Strata.IO;

/// <summary>
/// Reading a lock file strictly: every error names the file and the entry (<paramref name="where"/>), and an unknown key
/// is an error, never ignored (a typo must not pass as a pin).
/// </summary>
internal static class StrictJson
{
    public static JsonElement Object(JsonElement element, string file, string where) =>
        element.ValueKind == JsonValueKind.Object
            ? element
            : throw new StrataConfigException($"{file}: {where} must be a JSON object, not {element.ValueKind}.");

    public static string String(JsonElement element, string key, string file, string where) =>
        element.TryGetProperty(key, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } s
            ? s
            : throw new StrataConfigException($"{file}: {where} must have a non-empty string \"{key}\".");

    public static void CheckKeys(JsonElement element, string file, string where, params string[] allowed)
    {
        foreach (var property in element.EnumerateObject())
            if (Array.IndexOf(allowed, property.Name) < 0)
                throw new StrataConfigException($"{file}: {where}: unknown key \"{property.Name}\". Allowed keys: {string.Join(", ", allowed)}.");
    }

    /// <summary>The 2-space, "\n" writer every lock is written with (a bump is then a minimal diff).</summary>
    public static readonly JsonWriterOptions LockWriter = new() { Indented = true, IndentSize = 2, NewLine = "\n" };
}
