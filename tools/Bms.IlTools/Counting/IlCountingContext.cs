using System.Reflection;
using System.Runtime.Loader;

namespace Bms.IlTools.Counting;

/// <summary>Executed-instruction figures of one method since the last reset.</summary>
public sealed record MethodCount(InstrumentedMethod Method, long Instructions, long Calls, long Allocations);

/// <summary>
/// A collectible <see cref="AssemblyLoadContext"/> that holds instrumented copies of some assemblies
/// (see <see cref="IlInstrumenter"/>) and, isolated beside them, every assembly that depends on them (emulators,
/// the replay harness, a test's own assembly), so that the whole composition binds to the instrumented types.
/// Everything else (the framework) comes from the default context. Run code in it through reflection on
/// <see cref="LoadFromAssemblyName"/>'s result, passing only framework types across the boundary.
/// </summary>
public sealed class IlCountingContext : AssemblyLoadContext, IDisposable
{
    private readonly Dictionary<string, InstrumentedAssembly> _instrumented = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, Assembly> _loaded = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, bool> _dependsOnInstrumented = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<string> _probingDirectories;

    /// <param name="assemblyPaths">Assemblies to instrument (e.g. Bms.Hal.dll, Bms.Drivers.dll, Bms.Firmware.dll).</param>
    /// <param name="probingDirectories">Where to find the assemblies that depend on them; default: the application directory.</param>
    public IlCountingContext(IEnumerable<string> assemblyPaths, IEnumerable<string>? probingDirectories = null)
        : this(assemblyPaths.Select(path => File.Exists(path)
                ? File.ReadAllBytes(path)
                : throw new FileNotFoundException($"Assembly to instrument not found: {path}", path)),
            probingDirectories)
    {
    }

    public IlCountingContext(IEnumerable<byte[]> assemblyImages, IEnumerable<string>? probingDirectories = null)
        : base("il-counting", isCollectible: true)
    {
        foreach (byte[] image in assemblyImages)
        {
            InstrumentedAssembly instrumented = IlInstrumenter.Instrument(image);
            _instrumented.Add(instrumented.Name, instrumented);
        }
        _probingDirectories = (probingDirectories ?? new[] { AppContext.BaseDirectory }).ToList();
    }

    public IReadOnlyCollection<InstrumentedAssembly> InstrumentedAssemblies => _instrumented.Values;

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        string name = assemblyName.Name ?? "";
        if (_loaded.TryGetValue(name, out Assembly? loaded)) return loaded;
        if (_instrumented.TryGetValue(name, out InstrumentedAssembly? instrumented))
        {
            loaded = LoadFromStream(new MemoryStream(instrumented.Image, writable: false));
        }
        else if (FindFile(name) is { } path && DependsOnInstrumented(name, new HashSet<string>(StringComparer.OrdinalIgnoreCase)))
        {
            loaded = LoadFromAssemblyPath(path);
        }
        else
        {
            return null; // shared with the default context
        }
        _loaded[name] = loaded;
        return loaded;
    }

    /// <summary>Per-method counts of every instrumented assembly loaded so far (zero for methods never run).</summary>
    public IReadOnlyList<MethodCount> Snapshot()
    {
        var result = new List<MethodCount>();
        foreach (InstrumentedAssembly instrumented in _instrumented.Values)
        {
            long[]? instructions = Counters(instrumented.Name, IlInstrumenter.InstructionsField);
            long[]? calls = Counters(instrumented.Name, IlInstrumenter.CallsField);
            long[]? allocations = Counters(instrumented.Name, IlInstrumenter.AllocationsField);
            foreach (InstrumentedMethod method in instrumented.Methods)
            {
                result.Add(new MethodCount(method, instructions?[method.Id] ?? 0, calls?[method.Id] ?? 0, allocations?[method.Id] ?? 0));
            }
        }
        return result;
    }

    /// <summary>Total executed instructions of the given assemblies (all instrumented ones when none given).</summary>
    public long TotalInstructions(params string[] assemblyNames) =>
        Snapshot().Where(c => assemblyNames.Length == 0 || assemblyNames.Contains(c.Method.Assembly, StringComparer.OrdinalIgnoreCase))
            .Sum(c => c.Instructions);

    /// <summary>Sets every counter back to zero.</summary>
    public void Reset()
    {
        foreach (InstrumentedAssembly instrumented in _instrumented.Values)
        {
            foreach (string field in new[] { IlInstrumenter.InstructionsField, IlInstrumenter.CallsField, IlInstrumenter.AllocationsField })
            {
                if (Counters(instrumented.Name, field) is { } counters) Array.Clear(counters);
            }
        }
    }

    private long[]? Counters(string assemblyName, string field)
    {
        if (!_loaded.TryGetValue(assemblyName, out Assembly? assembly)) return null;
        Type counterType = assembly.GetType($"{IlInstrumenter.CounterTypeNamespace}.{IlInstrumenter.CounterTypeName}", throwOnError: true)!;
        return (long[]?)counterType.GetField(field)!.GetValue(null);
    }

    private string? FindFile(string name)
    {
        foreach (string directory in _probingDirectories)
        {
            string candidate = Path.Combine(directory, name + ".dll");
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    /// <summary>true when the assembly references an instrumented one, directly or through other local assemblies.</summary>
    private bool DependsOnInstrumented(string name, HashSet<string> visiting)
    {
        if (_instrumented.ContainsKey(name)) return true;
        if (_dependsOnInstrumented.TryGetValue(name, out bool known)) return known;
        if (!visiting.Add(name) || FindFile(name) is not { } path) return false;
        bool result;
        using (var module = Mono.Cecil.ModuleDefinition.ReadModule(path))
        {
            result = module.AssemblyReferences.Any(reference => DependsOnInstrumented(reference.Name, visiting));
        }
        _dependsOnInstrumented[name] = result;
        return result;
    }

    public void Dispose()
    {
        _loaded.Clear();
        Unload();
    }
}
