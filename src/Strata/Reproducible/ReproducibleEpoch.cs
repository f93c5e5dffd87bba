namespace Strata.Reproducible;

/// <summary>
/// The one time every normalised image states: file times are clamped to it, the config's dates set to it.
/// A fixed date, not the commit's: a key covers the inputs and no commit, so two commits with the same key
/// must give the same bytes (README, "Reproducible images").
/// </summary>
public static class ReproducibleEpoch
{
    public static readonly DateTimeOffset Value = new(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static long UnixSeconds => Value.ToUnixTimeSeconds();

    /// <summary>Days since 1970-01-01, as /etc/shadow counts the last password change.</summary>
    public static long Days => UnixSeconds / 86_400;

    /// <summary>The config's form of the date (RFC 3339, UTC).</summary>
    public static string Rfc3339 => Value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
}
