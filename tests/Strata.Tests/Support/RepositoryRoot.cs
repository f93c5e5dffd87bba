namespace Strata.Tests.Support;

public static class RepositoryRoot
{
    /// <summary>The checkout the tests run from (the folder holding strata.yaml).</summary>
    public static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "strata.yaml")) && Directory.Exists(Path.Combine(dir.FullName, "src")))
                return dir.FullName;
        throw new InvalidOperationException("strata.yaml not found above " + AppContext.BaseDirectory);
    }
}
