namespace Strata.Tests.Support;

/// <summary>
/// The files of the small chains tests build (strata.yaml and Dockerfiles), written in one place: the same text as each test
/// wrote by hand, so the same images (and keys) as before.
/// </summary>
public static class ChainFiles
{
    /// <summary>
    /// strata.yaml for a chain with a thin dotfiles layer (Dockerfiles/Dockerfile.dotfiles, the dotfiles folder): each image of
    /// <paramref name="chain"/> on the one before it, from Dockerfiles/Dockerfile.&lt;name&gt;.
    /// </summary>
    public static string StrataYaml(string repository, string baseOsYaml, params string[] chain) => $"""
        repository: {repository}
        {baseOsYaml}
        dotfiles:
          dockerfile: Dockerfiles/Dockerfile.dotfiles
          inputs: [dotfiles]
        images:
        {string.Join("\n", chain.Select((name, i) => i == 0
            ? $"  - {{ name: {name}, dockerfile: Dockerfiles/Dockerfile.{name} }}"
            : $"  - {{ name: {name}, parent: {chain[i - 1]}, dockerfile: Dockerfiles/Dockerfile.{name} }}"))}
        """;

    /// <summary>A Dockerfile on its parent, with one RUN step (<paramref name="run"/>) or none.</summary>
    public static string OnParent(string? run = null) => "ARG PARENT_IMAGE\nFROM ${PARENT_IMAGE}\n" + (run is null ? "" : $"RUN {run}\n");

    /// <summary>The thin dotfiles layer of the real-engine release tests: the dotfiles folder copied to /root/.dotfiles/.</summary>
    public const string DotfilesToRoot = """
        ARG PARENT_IMAGE
        FROM ${PARENT_IMAGE}
        ARG DOTFILES_HASH
        COPY dotfiles/ /root/.dotfiles/
        """;

    /// <summary>The dotfiles folder of those chains: one bashrc.</summary>
    public static TempRepo WriteBashrc(this TempRepo repo) => repo.Write("dotfiles/bashrc", "export EDITOR=nvim\n");
}
