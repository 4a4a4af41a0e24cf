using System.Reflection;
using Bms.IlTools.Counting;
using Mono.Cecil;

namespace Bms.Tools.Tests.IlTools;

/// <summary>
/// The instruction counter is exact: for small methods whose IL is pinned by an opcode listing, the count
/// after running them equals the hand count (instructions per block × times the block ran).
/// </summary>
public class IlInstructionCounterTests
{
    private const string Source = """
        namespace Known
        {
            public sealed class Cell
            {
                public int Value_mV;
                public Cell(int value_mV) { Value_mV = value_mV; }
            }

            public static class Kernels
            {
                public static int SumTo(int n)
                {
                    int sum = 0;
                    for (int i = 0; i < n; i++) sum += i;
                    return sum;
                }

                public static int Clamp(int value, int low, int high)
                {
                    if (value < low) return low;
                    if (value > high) return high;
                    return value;
                }

                public static int ClampAll(int[] values)
                {
                    int changed = 0;
                    for (int i = 0; i < values.Length; i++)
                    {
                        int clamped = Clamp(values[i], 0, 100);
                        if (clamped != values[i]) changed++;
                        values[i] = clamped;
                    }
                    return changed;
                }

                public static int Allocate(int n)
                {
                    int[] buffer = new int[n];
                    Cell cell = new Cell(n);
                    return buffer.Length + cell.Value_mV;
                }

                public static int Classify(int code)
                {
                    switch (code) { case 0: return 10; case 1: return 20; case 2: return 30; default: return -1; }
                }

                public static int SumWithFinally(int[] values)
                {
                    int total = 0;
                    try { for (int i = 0; i < values.Length; i++) total += values[i]; }
                    finally { total++; }
                    return total;
                }

                public static int Guarded(int divisor)
                {
                    try
                    {
                        return 100 / divisor;
                    }
                    catch (System.Exception)
                    {
                        return -1;
                    }
                }
            }
        }
        """;

    private static readonly byte[] Image = NanoCompilation.CompileOrThrow(Source, "Known.Kernels");

    private static string[] Listing(string method)
    {
        using var assembly = AssemblyDefinition.ReadAssembly(new MemoryStream(Image));
        var definition = assembly.MainModule.GetType("Known.Kernels").Methods.Single(m => m.Name == method);
        return definition.Body.Instructions.Select(i => i.OpCode.Name).ToArray();
    }

    private sealed class Loaded : IDisposable
    {
        public readonly IlCountingContext Context = new(new[] { Image }, probingDirectories: Array.Empty<string>());
        public readonly Type Kernels;
        public Loaded() => Kernels = Context.LoadFromAssemblyName(new AssemblyName("Known.Kernels")).GetType("Known.Kernels", true)!;
        public object? Call(string method, params object[] args) => Kernels.GetMethod(method)!.Invoke(null, args);
        public MethodCount Count(string method) => Context.Snapshot().Single(c => c.Method.Type == "Known.Kernels" && c.Method.Method.StartsWith(method + "("));
        public void Dispose() => Context.Dispose();
    }

    [Fact]
    public void SumTo_IL_is_the_hand_counted_listing()
    {
        Assert.Equal(new[]
        {
            "ldc.i4.0", "stloc.0", "ldc.i4.0", "stloc.1", "br.s",           // 5: entry, jumps to the condition
            "ldloc.0", "ldloc.1", "add", "stloc.0",                          // 8: body + increment, n times
            "ldloc.1", "ldc.i4.1", "add", "stloc.1",
            "ldloc.1", "ldarg.0", "blt.s",                                   // 3: condition, n + 1 times
            "ldloc.0", "ret",                                                // 2: exit
        }, Listing("SumTo"));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(1000)]
    public void Loop_count_is_exact(int n)
    {
        using var loaded = new Loaded();
        Assert.Equal(n * (n - 1) / 2, loaded.Call("SumTo", n)); // the instrumented code still computes the same
        MethodCount count = loaded.Count("SumTo");
        Assert.Equal(5 + 8L * n + 3L * (n + 1) + 2, count.Instructions);
        Assert.Equal(1, count.Calls);
        Assert.Equal(0, count.Allocations);
    }

    [Fact]
    public void Clamp_IL_is_the_hand_counted_listing()
    {
        Assert.Equal(new[]
        {
            "ldarg.0", "ldarg.1", "bge.s",   // 3
            "ldarg.1", "ret",                // 2 (below)
            "ldarg.0", "ldarg.2", "ble.s",   // 3
            "ldarg.2", "ret",                // 2 (above)
            "ldarg.0", "ret",                // 2 (inside)
        }, Listing("Clamp"));
    }

    [Fact]
    public void Branches_and_calls_count_per_method()
    {
        using var loaded = new Loaded();
        Assert.Equal(5, loaded.Call("Clamp", 5, 0, 10));   // 3 + 3 + 2
        Assert.Equal(8, loaded.Count("Clamp").Instructions);
        Assert.Equal(0, loaded.Call("Clamp", -4, 0, 10));  // 3 + 2
        Assert.Equal(13, loaded.Count("Clamp").Instructions);
        Assert.Equal(10, loaded.Call("Clamp", 12, 0, 10)); // 3 + 3 + 2
        Assert.Equal(21, loaded.Count("Clamp").Instructions);
        Assert.Equal(3, loaded.Count("Clamp").Calls);

        loaded.Context.Reset();
        Assert.Equal(0, loaded.Count("Clamp").Instructions);
        Assert.Equal(0, loaded.Count("Clamp").Calls);

        // ClampAll calls Clamp: each method counts its own instructions only.
        var values = new[] { -5, 50, 150, 100 };            // below, inside, above, inside
        Assert.Equal(2, loaded.Call("ClampAll", (object)values));
        Assert.Equal(new[] { 0, 50, 100, 100 }, values);
        Assert.Equal(5 + 8 + 8 + 8, loaded.Count("Clamp").Instructions);
        Assert.Equal(4, loaded.Count("Clamp").Calls);
        Assert.Equal(HandCountClampAll(changedAt: new[] { true, false, true, false }), loaded.Count("ClampAll").Instructions);
        Assert.Equal(1, loaded.Count("ClampAll").Calls);
    }

    /// <summary>ClampAll's count from its listing: entry, loop condition (n + 1 times), the body split by the if.</summary>
    private static long HandCountClampAll(bool[] changedAt)
    {
        string[] il = Listing("ClampAll");
        Assert.Equal(new[]
        {
            "ldc.i4.0", "stloc.0", "ldc.i4.0", "stloc.1", "br.s",                                 // 5 entry
            "ldarg.0", "ldloc.1", "ldelem.i4", "ldc.i4.0", "ldc.i4.s", "call", "stloc.2",         // body: 12 up to the branch
            "ldloc.2", "ldarg.0", "ldloc.1", "ldelem.i4", "beq.s",
            "ldloc.0", "ldc.i4.1", "add", "stloc.0",                                              // 4 when changed
            "ldarg.0", "ldloc.1", "ldloc.2", "stelem.i4", "ldloc.1", "ldc.i4.1", "add", "stloc.1", // 8 always
            "ldloc.1", "ldarg.0", "ldlen", "conv.i4", "blt.s",                                    // 5 condition
            "ldloc.0", "ret",                                                                     // 2 exit
        }, il);
        long count = 5 + 5L * (changedAt.Length + 1) + 2;
        foreach (bool changed in changedAt) count += 12 + (changed ? 4 : 0) + 8;
        return count;
    }

    [Fact]
    public void Heap_allocations_are_counted_per_site()
    {
        using var loaded = new Loaded();
        Assert.Equal(6, loaded.Call("Allocate", 3));
        Assert.Equal(2, loaded.Count("Allocate").Allocations); // newarr + newobj of a class
        Assert.Equal(Listing("Allocate").Length, loaded.Count("Allocate").Instructions); // straight-line code
        // The constructor ran once: ldarg.0, call object::.ctor, ldarg.0, ldarg.1, stfld, ret.
        MethodCount ctor = loaded.Context.Snapshot().Single(c => c.Method.Type == "Known.Cell" && c.Method.Method.StartsWith(".ctor"));
        Assert.Equal(6, ctor.Instructions);
    }

    [Fact]
    public void Switch_targets_are_counted_per_case()
    {
        Assert.Equal(new[] { "ldarg.0", "switch", "br.s", "ldc.i4.s", "ret", "ldc.i4.s", "ret", "ldc.i4.s", "ret", "ldc.i4.m1", "ret" }, Listing("Classify"));
        using var loaded = new Loaded();
        Assert.Equal(20, loaded.Call("Classify", 1));
        Assert.Equal(2 + 2, loaded.Count("Classify").Instructions);      // switch, then the case
        Assert.Equal(-1, loaded.Call("Classify", 7));
        Assert.Equal(4 + 2 + 1 + 2, loaded.Count("Classify").Instructions); // switch, br to default, default
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    public void Finally_blocks_and_leave_are_counted(int n)
    {
        Assert.Equal(new[]
        {
            "ldc.i4.0", "stloc.0", "ldc.i4.0", "stloc.1", "br.s",                               // 5 entry
            "ldloc.0", "ldarg.0", "ldloc.1", "ldelem.i4", "add", "stloc.0", "ldloc.1", "ldc.i4.1", "add", "stloc.1", // 10 body
            "ldloc.1", "ldarg.0", "ldlen", "conv.i4", "blt.s",                                  // 5 condition
            "leave.s",                                                                          // 1
            "ldloc.0", "ldc.i4.1", "add", "stloc.0", "endfinally",                              // 5 finally
            "ldloc.0", "ret",                                                                   // 2 exit
        }, Listing("SumWithFinally"));
        using var loaded = new Loaded();
        Assert.Equal(n * 7 + 1, loaded.Call("SumWithFinally", (object)Enumerable.Repeat(7, n).ToArray()));
        Assert.Equal(5 + 10L * n + 5L * (n + 1) + 1 + 5 + 2, loaded.Count("SumWithFinally").Instructions);
    }

    [Fact]
    public void Exception_handler_blocks_are_counted_when_they_run()
    {
        Assert.Equal(new[]
        {
            "ldc.i4.s", "ldarg.0", "div", "stloc.0", "leave.s",  // 5 try
            "pop", "ldc.i4.m1", "stloc.0", "leave.s",            // 4 catch
            "ldloc.0", "ret",                                     // 2 after
        }, Listing("Guarded"));
        using var loaded = new Loaded();
        Assert.Equal(50, loaded.Call("Guarded", 2));
        Assert.Equal(5 + 2, loaded.Count("Guarded").Instructions);
        loaded.Context.Reset();
        Assert.Equal(-1, loaded.Call("Guarded", 0));
        // The try block is counted whole although div threw (documented over-count), then catch and exit.
        Assert.Equal(5 + 4 + 2, loaded.Count("Guarded").Instructions);
    }
}
