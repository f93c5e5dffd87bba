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

    [Fact]
    public void Classic_counts_the_RUN_and_COPY_steps_served_by_the_cache_not_FROM_or_ENV()
    {
        var output = Read("""
            Sending build context to Docker daemon  2.048kB
            Step 1/5 : FROM strata-base-os:trixie-minbase-fdc2b99730cd
             ---> 028a33ec8f42
            Step 2/5 : ENV A=1
             ---> Using cache
             ---> 98438ae836ef
            Step 3/5 : RUN echo 0dc5febb-a > /a
             ---> Using cache
             ---> 782bcdb9e6e7
            Step 4/5 : COPY .strata/tools/ /usr/local/bin/
             ---> Using cache
             ---> 1d0c3a52e4f1
            Step 5/5 : RUN echo 0dc5febb-i > /b
             ---> Running in 1eca7f5f5303
            Removing intermediate container 1eca7f5f5303
             ---> d5b1dec22d3e
            Successfully built d5b1dec22d3e
            """);

        Assert.Equal(2, output.CachedSteps);
        Assert.Equal("5/5", output.Step);
    }

    [Fact]
    public void BuildKit_counts_each_cached_RUN_and_COPY_step_once_not_the_FROM()
    {
        var output = Read("""
            #3 [internal] load metadata for docker.io/library/strata-base-os:trixie-minbase-fdc2b99730cd
            #3 DONE 0.0s

            #7 importing cache manifest from 127.0.0.1:5999/cachetest/x@sha256:c367cf77a8f5168254931139017bbdbe1b036ac4b6a2c0ec1940942d868bb855
            #7 DONE 0.0s

            #4 [1/4] FROM docker.io/library/strata-base-os:trixie-minbase-fdc2b99730cd
            #4 CACHED

            #5 [2/4] RUN echo 0dc5febb-a > /a
            #5 CACHED

            #8 [3/4] COPY .strata/tools/ /usr/local/bin/
            #8 CACHED

            #6 [4/4] RUN echo 0dc5febb-g > /b
            #6 sha256:2bb12a673dca84bee94a2dffa74c92ac9b97663c9b87e0bded1c0ead97c905f8
            #6 DONE 0.6s

            #4 [1/4] FROM docker.io/library/strata-base-os:trixie-minbase-fdc2b99730cd
            #4 CACHED

            #5 [2/4] RUN echo 0dc5febb-a > /a
            #5 CACHED
            """);

        Assert.Equal(2, output.CachedSteps);
    }

    [Fact]
    public void A_build_without_cache_hits_counts_none()
    {
        Assert.Equal(0, Read("""
            #4 [1/3] FROM docker.io/library/strata-base-os:trixie-minbase-fdc2b99730cd
            #4 CACHED

            #5 [2/3] RUN echo 0dc5febb-a > /a
            #5 DONE 0.2s
            """).CachedSteps);
        Assert.Equal(0, Read("""
            Step 1/2 : FROM strata-base-os:trixie-minbase-fdc2b99730cd
             ---> 028a33ec8f42
            Step 2/2 : RUN echo 0dc5febb-a > /a
             ---> Running in 1eca7f5f5303
            """).CachedSteps);
    }
}
