using Strata.Oci;

namespace Strata.Platforms;

/// <summary>
/// Which platforms a run builds (--platform): the engine's own (<c>native</c>, what <c>docker build</c> does on a laptop),
/// every platform strata.yaml declares (<c>all</c>, a release's default), or a list (<c>linux/arm64</c>, <c>linux/amd64,linux/arm64</c>).
/// </summary>
public abstract record PlatformSelection
{
    public sealed record Native : PlatformSelection;

    public sealed record All : PlatformSelection;

    public sealed record Listed(IReadOnlyList<Platform> Platforms) : PlatformSelection
    {
        public bool Equals(Listed? other) => other is not null && Platforms.SequenceEqual(other.Platforms);
        public override int GetHashCode() => Platforms.Count;
    }

    /// <summary>Parses native, all, or OS/ARCH[,OS/ARCH...]; throws a <see cref="FormatException"/> saying what it takes.</summary>
    public static PlatformSelection Parse(string text)
    {
        var value = text.Trim();
        if (value.Equals("native", StringComparison.OrdinalIgnoreCase)) return new Native();
        if (value.Equals("all", StringComparison.OrdinalIgnoreCase)) return new All();
        var platforms = new List<Platform>();
        foreach (var part in value.Split(',', StringSplitOptions.TrimEntries))
        {
            Platform platform;
            try
            {
                platform = Platform.Parse(part);
            }
            catch (FormatException e)
            {
                throw new FormatException($"--platform={text}: {e.Message} Or give native (the engine's) or all (every platform strata.yaml declares).");
            }
            if (!platforms.Contains(platform)) platforms.Add(platform);
        }
        return new Listed(platforms);
    }

    /// <summary>
    /// The platforms to build, in strata.yaml's order. A listed platform strata.yaml does not declare is an error, and so is
    /// <c>native</c> when the engine's platform is not declared (it says which to give instead).
    /// </summary>
    public IReadOnlyList<Platform> Resolve(IReadOnlyList<Platform> declared, Platform native, string configFile)
    {
        IReadOnlyList<Platform> wanted = this switch
        {
            Native => [native],
            All => declared,
            Listed listed => listed.Platforms,
            _ => throw new InvalidOperationException(),
        };
        if (wanted.FirstOrDefault(p => !declared.Contains(p)) is { } missing)
            throw new StrataConfigException(
                $"{(this is Native ? $"the engine's platform {missing}" : $"--platform {missing}")} is not among the platforms {configFile} declares " +
                $"({string.Join(", ", declared)}): give --platform={string.Join(",", declared)} (or all), or add it to platforms: in {configFile}.");
        return declared.Where(wanted.Contains).ToList();
    }

    public override string ToString() => this switch
    {
        Native => "native",
        All => "all",
        Listed listed => string.Join(",", listed.Platforms),
        _ => "",
    };
}
