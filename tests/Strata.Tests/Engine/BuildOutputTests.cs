using Strata.Engine;

namespace Strata.Tests.Engine;

/// <summary>Build output of both builders, as the real clients printed it here (20.10 BuildKit, 28.x classic).</summary>
public class BuildOutputTests
{
    private static BuildOutput Read(string text)
    {
        var output = new BuildOutput();
        foreach (var line in text.Split('\n')) output.Add(line);
        return output;
    }

    [Fact]
    public void BuildKit_gives_the_failing_step_and_its_error()
    {
        var output = Read("""
            #4 [1/3] FROM docker.io/library/strata-base-os:trixie-minbase-fdc2b99730cd
            #4 DONE 0.0s

            #5 [2/3] RUN echo hello-step
            #5 0.156 hello-step
            #5 DONE 0.2s

            #6 [3/3] RUN echo "fails on purpose" >&2 && exit 42
            #6 0.398 fails on purpose
            #6 ERROR: executor failed running [/bin/sh -c echo "fails on purpose" >&2 && exit 42]: exit code: 42
            ------
             > [3/3] RUN echo "fails on purpose" >&2 && exit 42:
            ------
            executor failed running [/bin/sh -c echo "fails on purpose" >&2 && exit 42]: exit code: 42
            """);

        Assert.Equal("3/3", output.Step);
        Assert.Equal("""executor failed running [/bin/sh -c echo "fails on purpose" >&2 && exit 42]: exit code: 42""", output.Error);
        Assert.Contains("#6 0.398 fails on purpose", output.Tail);
        Assert.False(output.Unreachable);
    }

    [Fact]
    public void Classic_gives_the_failing_step_and_its_error_without_colour_codes()
    {
        var output = Read("""
            Step 1/3 : FROM strata-base-os:trixie-minbase-fdc2b99730cd
             ---> 02e952aae242
            Step 2/3 : RUN echo hello-step
            hello-step
            Step 3/3 : RUN echo "fails on purpose" >&2 && exit 42
             ---> Running in dfb6a2e31146
            """ + "\n\u001b[91mfails on purpose\n\u001b[0mThe command '/bin/sh -c echo \"fails on purpose\" >&2 && exit 42' returned a non-zero code: 42");

        Assert.Equal("3/3", output.Step);
        Assert.Equal("The command '/bin/sh -c echo \"fails on purpose\" >&2 && exit 42' returned a non-zero code: 42", output.Error);
        Assert.Contains("fails on purpose", output.Tail);
    }

    [Fact]
    public void A_missing_base_image_and_an_unreachable_engine_are_told_apart()
    {
        var buildx = Read("""
            #2 [internal] load metadata for docker.io/library/nope:1
            #2 ERROR: pull access denied, repository does not exist or may require authorization
            ERROR: failed to solve: nope:1: pull access denied, repository does not exist or may require authorization
            """);
        Assert.Null(buildx.Step);
        Assert.Equal("pull access denied, repository does not exist or may require authorization", buildx.Error);
        Assert.False(buildx.Unreachable);

        var down = Read("Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?");
        Assert.True(down.Unreachable);
    }
}
