namespace Bms.Tools.Tests.Build;

/// <summary>Finds the repository root (the folder holding BmsFirmware.sln) from the test's output folder.</summary>
internal static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "BmsFirmware.sln")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("BmsFirmware.sln not found above " + AppContext.BaseDirectory);
    }
}
