using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Bms.Tools.Tests.Build;

/// <summary>
/// The device build (.nfproj, Visual Studio + nanoFramework extension) and the host build (SDK-style .csproj
/// against nanoFramework's mscorlib) must compile exactly the same sources, or the host tests would prove a
/// different program from the one flashed. These tests hold the two builds together.
/// </summary>
public class NfprojTwinTests
{
    private static readonly XNamespace Msb = "http://schemas.microsoft.com/developer/msbuild/2003";

    public static TheoryData<string> TwinProjects => new()
    {
        "hal/Bms.Hal/Bms.Hal",
        "drivers/Bms.Drivers/Bms.Drivers",
        "firmware/Bms.Firmware/Bms.Firmware",
    };

    [Theory]
    [MemberData(nameof(TwinProjects))]
    public void Nfproj_compiles_the_same_files_as_its_sdk_twin(string project)
    {
        string csproj = Path.Combine(RepoPaths.Root, project + ".csproj");
        string nfproj = Path.Combine(RepoPaths.Root, project + ".nfproj");
        Assert.True(File.Exists(csproj), csproj);
        Assert.True(File.Exists(nfproj), nfproj);

        var hostFiles = SdkCompileItems(csproj);
        var deviceFiles = NfprojCompileItems(nfproj);

        Assert.NotEmpty(hostFiles);
        Assert.Equal(hostFiles, deviceFiles);
    }

    [Fact]
    public void Compile_item_evaluation_sees_a_file_excluded_from_one_side()
    {
        // Guards the guard: the evaluator must notice a Compile Remove in the SDK project.
        string dir = Directory.CreateTempSubdirectory("twin").FullName;
        File.WriteAllText(Path.Combine(dir, "A.cs"), "");
        Directory.CreateDirectory(Path.Combine(dir, "Sub"));
        File.WriteAllText(Path.Combine(dir, "Sub", "B.cs"), "");
        Directory.CreateDirectory(Path.Combine(dir, "obj"));
        File.WriteAllText(Path.Combine(dir, "obj", "Gen.cs"), "");
        File.WriteAllText(Path.Combine(dir, "X.csproj"), "<Project Sdk=\"Microsoft.NET.Sdk\"><ItemGroup><Compile Remove=\"Sub/B.cs\" /></ItemGroup></Project>");
        File.WriteAllText(Path.Combine(dir, "X.nfproj"), $"<Project xmlns=\"{Msb}\"><ItemGroup><Compile Include=\"**\\*.cs\" Exclude=\"bin\\**;obj\\**\" /></ItemGroup></Project>");

        Assert.Equal(new[] { "A.cs" }, SdkCompileItems(Path.Combine(dir, "X.csproj")));
        Assert.Equal(new[] { "A.cs", "Sub/B.cs" }, NfprojCompileItems(Path.Combine(dir, "X.nfproj")));
    }

    [Fact]
    public void Every_nfproj_is_in_the_solution_and_never_built_by_dotnet()
    {
        string sln = File.ReadAllText(Path.Combine(RepoPaths.Root, "BmsFirmware.sln"));
        var nfprojs = Directory.EnumerateFiles(RepoPaths.Root, "*.nfproj", SearchOption.AllDirectories)
            .Where(p => !p.Contains($"{Path.DirectorySeparatorChar}artifacts{Path.DirectorySeparatorChar}"))
            .Select(p => Path.GetRelativePath(RepoPaths.Root, p).Replace('/', '\\'))
            .ToList();
        Assert.NotEmpty(nfprojs);

        foreach (string path in nfprojs)
        {
            var match = Regex.Match(sln, "Project\\(\"\\{11A8DD76-328B-46DF-9F39-F559912D0360\\}\"\\) = \"[^\"]+\", \"" + Regex.Escape(path) + "\", \"(\\{[^}]+\\})\"");
            Assert.True(match.Success, $"{path} is not in BmsFirmware.sln as a nanoFramework project");
            string guid = match.Groups[1].Value;
            Assert.Contains(guid + ".Debug|Any CPU.ActiveCfg", sln);
            Assert.DoesNotContain(guid + ".Debug|Any CPU.Build.0", sln);
            Assert.DoesNotContain(guid + ".Release|Any CPU.Build.0", sln);
        }
    }

    [Fact]
    public void Device_packages_are_pinned_and_match_the_host_corelibrary()
    {
        var props = XDocument.Load(Path.Combine(RepoPaths.Root, "Directory.Packages.props"));
        string hostCore = props.Descendants("PackageVersion")
            .Single(e => (string?)e.Attribute("Include") == "nanoFramework.CoreLibrary").Attribute("Version")!.Value;

        var configs = Directory.EnumerateFiles(RepoPaths.Root, "packages.config", SearchOption.AllDirectories)
            .Where(p => !p.Contains($"{Path.DirectorySeparatorChar}artifacts{Path.DirectorySeparatorChar}")).ToList();
        Assert.NotEmpty(configs);
        foreach (string config in configs)
        {
            var packages = XDocument.Load(config).Root!.Elements("package").ToList();
            Assert.All(packages, p =>
            {
                Assert.Matches(@"^\d+\.\d+\.\d+$", p.Attribute("version")!.Value);
                Assert.Equal("netnano1.0", p.Attribute("targetFramework")!.Value);
            });
            Assert.Equal(hostCore, packages.Single(p => p.Attribute("id")!.Value == "nanoFramework.CoreLibrary").Attribute("version")!.Value);

            // Every HintPath in the project beside it points into the pinned package folder.
            string nfproj = Directory.EnumerateFiles(Path.GetDirectoryName(config)!, "*.nfproj").Single();
            foreach (var hint in XDocument.Load(nfproj).Descendants(Msb + "HintPath"))
            {
                Assert.Contains(packages, p => hint.Value.Contains($"\\{p.Attribute("id")!.Value}.{p.Attribute("version")!.Value}\\"));
            }
        }
    }

    /// <summary>The SDK default: every .cs under the project folder except bin/ and obj/, minus Compile Remove.</summary>
    private static List<string> SdkCompileItems(string csproj)
    {
        string dir = Path.GetDirectoryName(csproj)!;
        var removes = XDocument.Load(csproj).Descendants("Compile")
            .Select(e => (string?)e.Attribute("Remove")).Where(r => r != null).Select(r => GlobToRegex(r!)).ToList();
        return AllSources(dir).Where(f => !IsBuildOutput(f) && !removes.Any(r => r.IsMatch(f))).OrderBy(f => f, StringComparer.Ordinal).ToList();
    }

    /// <summary>Evaluates the nfproj's Compile Include/Exclude patterns (MSBuild wildcards) against the folder.</summary>
    private static List<string> NfprojCompileItems(string nfproj)
    {
        string dir = Path.GetDirectoryName(nfproj)!;
        var all = AllSources(dir).ToList();
        var result = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var item in XDocument.Load(nfproj).Descendants(Msb + "Compile"))
        {
            var includes = ((string?)item.Attribute("Include") ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries).Select(GlobToRegex).ToList();
            var excludes = ((string?)item.Attribute("Exclude") ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries).Select(GlobToRegex).ToList();
            foreach (string f in all.Where(f => includes.Any(i => i.IsMatch(f)) && !excludes.Any(e => e.IsMatch(f))))
            {
                result.Add(f);
            }
        }
        return result.ToList();
    }

    private static IEnumerable<string> AllSources(string dir) =>
        Directory.EnumerateFiles(dir, "*.cs", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(dir, f).Replace('\\', '/'));

    private static bool IsBuildOutput(string relative) => relative.StartsWith("bin/") || relative.StartsWith("obj/");

    private static Regex GlobToRegex(string glob)
    {
        string g = glob.Trim().Replace('\\', '/');
        string pattern = Regex.Escape(g)
            .Replace(@"\*\*/", "(.*/)?")
            .Replace(@"\*\*", ".*")
            .Replace(@"\*", "[^/]*")
            .Replace(@"\?", "[^/]");
        return new Regex("^" + pattern + "$");
    }
}
