using System.Reflection;

namespace Bms.Replay.Bench;

/// <summary>What the firmware's objects would occupy on the nanoCLR heap.</summary>
/// <param name="ByType">The instance graph's bytes per type (statics not included), largest first.</param>
public sealed record RamEstimate(long InstanceBytes, int InstanceObjects, long StaticBytes, int StaticObjects, IReadOnlyList<(string Type, long Bytes, int Count)> ByType)
{
    public long TotalBytes => InstanceBytes + StaticBytes;
}

/// <summary>
/// Estimates the RAM the firmware holds on a 32-bit nanoCLR by walking the object graph (reflection) from the
/// firmware's root object and the static fields of the MCU assemblies. The model follows how nanoCLR stores
/// managed data: everything is built from 12-byte heap blocks (CLR_RT_HeapBlock), and the heap hands out
/// whole blocks.
/// <list type="bullet">
/// <item>Object of a class: one header block + one block per instance field (whatever the field's type).</item>
/// <item>Struct stored in a field or array element: one block for the slot + a boxed copy (header + a block per field).</item>
/// <item>Array: a 20-byte array header (block + element count, element type and size) + elements at their natural size
/// (bool/byte 1, short/char 2, int/uint/float 4, long/ulong/double 8) or one 12-byte block each for references
/// and structs; rounded up to whole blocks.</item>
/// <item>String: header block + UTF-8 text + terminator, rounded up; interned strings (literals) count 0, since
/// nanoCLR keeps literals in the assembly's string table in flash.</item>
/// <item>Delegate: header + target + method blocks.</item>
/// </list>
/// Only objects of the MCU assemblies (and arrays, strings and boxed values they hold) are counted: the walk stops
/// at host objects (emulators, virtual clock, host HAL fakes), which are not on the device. Type metadata and
/// IL live in flash and are not counted; neither are the thread stacks and the runtime's own structures.
/// </summary>
public static class NanoRamEstimator
{
    public const int HeapBlockBytes = 12;
    public const int ArrayHeaderBytes = 20;

    public static readonly string[] McuAssemblyNames = { "Bms.Hal", "Bms.Drivers", "Bms.Firmware" };

    public static RamEstimate Estimate(object root)
    {
        var byType = new Dictionary<string, (long Bytes, int Count)>();
        var visited = new HashSet<object>(ReferenceEqualityComparer.Instance);

        long instanceBytes = Walk(new[] { root }, visited, byType, out int instanceObjects);

        // Static fields of the MCU types (tables, singletons): on the device they are allocated at type initialisation.
        var staticRoots = new List<object>();
        long staticSlots = 0;
        foreach (Assembly assembly in AppDomainAssemblies(root))
        {
            foreach (Type type in SafeTypes(assembly))
            {
                if (type.IsGenericTypeDefinition) continue;
                foreach (FieldInfo field in type.GetFields(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
                {
                    if (field.IsLiteral) continue; // const: compiled into the IL
                    staticSlots += HeapBlockBytes;
                    object? value;
                    try { value = field.GetValue(null); }
                    catch (TargetInvocationException) { continue; }
                    if (value is not null && !field.FieldType.IsPrimitive && !field.FieldType.IsEnum) staticRoots.Add(value);
                }
            }
        }
        long staticBytes = staticSlots + Walk(staticRoots, visited, new Dictionary<string, (long, int)>(), out int staticObjects);

        var table = byType.Select(kv => (kv.Key, kv.Value.Bytes, kv.Value.Count)).OrderByDescending(e => e.Bytes).ToList();
        return new RamEstimate(instanceBytes, instanceObjects, staticBytes, staticObjects, table);
    }

    private static IEnumerable<Assembly> AppDomainAssemblies(object root)
    {
        // The MCU assemblies as loaded beside the root (the same load context), not whatever the default context holds.
        var context = System.Runtime.Loader.AssemblyLoadContext.GetLoadContext(root.GetType().Assembly)
            ?? System.Runtime.Loader.AssemblyLoadContext.Default;
        return context.Assemblies.Where(a => McuAssemblyNames.Contains(a.GetName().Name));
    }

    private static Type[] SafeTypes(Assembly assembly)
    {
        try { return assembly.GetTypes(); }
        catch (ReflectionTypeLoadException e) { return e.Types.Where(t => t is not null).ToArray()!; }
    }

    private static bool IsMcuType(Type type) => McuAssemblyNames.Contains(type.Assembly.GetName().Name);

    private static long Walk(IEnumerable<object> roots, HashSet<object> visited, Dictionary<string, (long, int)> byType, out int objects)
    {
        var pending = new Stack<object>(roots);
        long total = 0;
        objects = 0;
        while (pending.Count > 0)
        {
            object current = pending.Pop();
            if (!visited.Add(current)) continue;
            Type type = current.GetType();
            long size;
            switch (current)
            {
                case string text:
                    if (string.IsInterned(text) is not null) continue;
                    size = Round(HeapBlockBytes + System.Text.Encoding.UTF8.GetByteCount(text) + 1);
                    break;
                case Array array:
                    size = ArraySize(array, pending);
                    break;
                case Delegate:
                    size = 3 * HeapBlockBytes;
                    break;
                default:
                    if (!IsMcuType(type) && !type.IsPrimitive && !type.IsEnum) continue; // host object: not on the device
                    size = ObjectSize(current, type, pending);
                    break;
            }
            total += size;
            objects++;
            string name = type.IsArray ? type.GetElementType()!.Name + "[]" : type.FullName ?? type.Name;
            byType[name] = byType.TryGetValue(name, out var entry) ? (entry.Item1 + size, entry.Item2 + 1) : (size, 1);
        }
        return total;
    }

    private static long ObjectSize(object instance, Type type, Stack<object> pending)
    {
        long size = HeapBlockBytes; // header
        foreach (FieldInfo field in InstanceFields(type))
        {
            size += FieldSlot(field.FieldType, field.GetValue(instance), pending);
        }
        return size;
    }

    /// <summary>One block for the slot; a struct additionally gets its boxed copy; references are followed.</summary>
    private static long FieldSlot(Type fieldType, object? value, Stack<object> pending)
    {
        if (fieldType.IsPrimitive || fieldType.IsEnum || fieldType.IsPointer) return HeapBlockBytes;
        if (fieldType.IsValueType)
        {
            long inner = HeapBlockBytes;
            if (value is not null)
                foreach (FieldInfo field in InstanceFields(fieldType))
                    inner += FieldSlot(field.FieldType, field.GetValue(value), pending);
            return HeapBlockBytes + inner;
        }
        if (value is not null) pending.Push(value);
        return HeapBlockBytes;
    }

    private static long ArraySize(Array array, Stack<object> pending)
    {
        Type element = array.GetType().GetElementType()!;
        long elements;
        if (element.IsPrimitive || element.IsEnum)
        {
            elements = (long)array.Length * Math.Max(1, PrimitiveSize(element.IsEnum ? Enum.GetUnderlyingType(element) : element));
        }
        else
        {
            elements = 0;
            foreach (object? item in array) elements += FieldSlot(element, item, pending);
        }
        return Round(ArrayHeaderBytes + elements);
    }

    private static int PrimitiveSize(Type type) => Type.GetTypeCode(type) switch
    {
        TypeCode.Boolean or TypeCode.Byte or TypeCode.SByte => 1,
        TypeCode.Char or TypeCode.Int16 or TypeCode.UInt16 => 2,
        TypeCode.Int32 or TypeCode.UInt32 or TypeCode.Single => 4,
        TypeCode.Int64 or TypeCode.UInt64 or TypeCode.Double => 8,
        _ => 4, // IntPtr and the like: 32-bit MCU
    };

    private static IEnumerable<FieldInfo> InstanceFields(Type type)
    {
        for (Type? t = type; t is not null && t != typeof(object) && t != typeof(ValueType); t = t.BaseType)
            foreach (FieldInfo field in t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
                yield return field;
    }

    private static long Round(long bytes) => (bytes + HeapBlockBytes - 1) / HeapBlockBytes * HeapBlockBytes;
}
