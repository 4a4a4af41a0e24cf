using Bms.Firmware.Storage;
using Bms.Hal;

namespace Bms.Firmware.Tests.Estimation;

/// <summary>Byte array memory whose next write can be cut after a given number of bytes (power loss).</summary>
internal sealed class FakeNonVolatileMemory : INonVolatileStorage
{
    public readonly byte[] Bytes;
    public int CutNextWriteAfter = -1;
    public bool FailReads;

    public FakeNonVolatileMemory(int size)
    {
        Bytes = new byte[size];
        for (int i = 0; i < size; i++) Bytes[i] = 0xFF; // erased flash/EEPROM
    }

    public int Size => Bytes.Length;

    public bool Read(int address, byte[] buffer, int offset, int count)
    {
        if (FailReads) return false;
        Array.Copy(Bytes, address, buffer, offset, count);
        return true;
    }

    public bool Write(int address, byte[] buffer, int offset, int count)
    {
        int n = CutNextWriteAfter >= 0 ? Math.Min(CutNextWriteAfter, count) : count;
        Array.Copy(buffer, offset, Bytes, address, n);
        bool complete = n == count;
        CutNextWriteAfter = -1;
        return complete;
    }
}

public class PersistentRecordStoreTests
{
    private const int Payload = 40;

    private static byte[] Pattern(int seed)
    {
        var b = new byte[Payload];
        for (int i = 0; i < Payload; i++) b[i] = (byte)(seed * 31 + i * 7);
        return b;
    }

    [Fact]
    public void Empty_memory_loads_nothing()
    {
        var mem = new FakeNonVolatileMemory(256);
        var store = new PersistentRecordStore(mem, 16, Payload);
        var buffer = new byte[Payload];
        Assert.False(store.Load(buffer, 0));
        Assert.All(buffer, b => Assert.Equal(0, b));
    }

    [Fact]
    public void Saved_records_come_back_newest_first_across_a_restart()
    {
        var mem = new FakeNonVolatileMemory(256);
        var store = new PersistentRecordStore(mem, 16, Payload);
        for (int k = 1; k <= 5; k++) Assert.True(store.Save(Pattern(k), 0));
        var restarted = new PersistentRecordStore(mem, 16, Payload);
        var buffer = new byte[Payload];
        Assert.True(restarted.Load(buffer, 0));
        Assert.Equal(Pattern(5), buffer);
        Assert.Equal(5u, restarted.LastSequence);
        // A store that saves without loading first must not overwrite the newest copy.
        var other = new PersistentRecordStore(mem, 16, Payload);
        Assert.True(other.Save(Pattern(6), 0));
        Assert.True(new PersistentRecordStore(mem, 16, Payload).Load(buffer, 0));
        Assert.Equal(Pattern(6), buffer);
    }

    [Fact]
    public void A_write_cut_at_any_byte_leaves_the_previous_record_loadable_and_never_a_torn_one()
    {
        var probe = new PersistentRecordStore(new FakeNonVolatileMemory(256), 0, Payload);
        for (int cut = 0; cut < probe.SlotSize; cut++)
        {
            var mem = new FakeNonVolatileMemory(256);
            var store = new PersistentRecordStore(mem, 0, Payload);
            Assert.True(store.Save(Pattern(1), 0));
            Assert.True(store.Save(Pattern(2), 0));
            mem.CutNextWriteAfter = cut;
            Assert.False(store.Save(Pattern(3), 0));
            var buffer = new byte[Payload];
            Assert.True(new PersistentRecordStore(mem, 0, Payload).Load(buffer, 0));
            Assert.Equal(Pattern(2), buffer);

            // Saving again after the cut still works and wins.
            Assert.True(store.Save(Pattern(4), 0));
            Assert.True(new PersistentRecordStore(mem, 0, Payload).Load(buffer, 0));
            Assert.Equal(Pattern(4), buffer);
        }
    }

    [Fact]
    public void A_cut_first_ever_write_loads_nothing()
    {
        var probe = new PersistentRecordStore(new FakeNonVolatileMemory(256), 0, Payload);
        for (int cut = 0; cut < probe.SlotSize; cut++)
        {
            var mem = new FakeNonVolatileMemory(256);
            var store = new PersistentRecordStore(mem, 0, Payload);
            mem.CutNextWriteAfter = cut;
            Assert.False(store.Save(Pattern(1), 0));
            Assert.False(new PersistentRecordStore(mem, 0, Payload).Load(new byte[Payload], 0));
        }
    }

    [Fact]
    public void Every_single_bit_flip_in_the_newest_copy_is_detected_and_the_older_copy_is_used()
    {
        var reference = new FakeNonVolatileMemory(256);
        var store = new PersistentRecordStore(reference, 0, Payload);
        store.Save(Pattern(1), 0);
        store.Save(Pattern(2), 0); // slot 1 (newest)
        int slotSize = store.SlotSize;
        for (int bit = 0; bit < slotSize * 8; bit++)
        {
            var mem = new FakeNonVolatileMemory(256);
            Array.Copy(reference.Bytes, mem.Bytes, 256);
            mem.Bytes[slotSize + bit / 8] ^= (byte)(1 << (bit % 8));
            var buffer = new byte[Payload];
            Assert.True(new PersistentRecordStore(mem, 0, Payload).Load(buffer, 0));
            Assert.Equal(Pattern(1), buffer);
        }
    }

    [Fact]
    public void Bit_flips_in_both_copies_load_nothing()
    {
        var mem = new FakeNonVolatileMemory(256);
        var store = new PersistentRecordStore(mem, 0, Payload);
        store.Save(Pattern(1), 0);
        store.Save(Pattern(2), 0);
        mem.Bytes[PersistentRecordStore.HeaderSize + 3] ^= 0x10;
        mem.Bytes[store.SlotSize + PersistentRecordStore.HeaderSize + 9] ^= 0x01;
        Assert.False(new PersistentRecordStore(mem, 0, Payload).Load(new byte[Payload], 0));
    }

    [Fact]
    public void Unreadable_memory_loads_nothing()
    {
        var mem = new FakeNonVolatileMemory(256);
        var store = new PersistentRecordStore(mem, 0, Payload);
        store.Save(Pattern(1), 0);
        mem.FailReads = true;
        Assert.False(new PersistentRecordStore(mem, 0, Payload).Load(new byte[Payload], 0));
    }

    [Fact]
    public void Sequence_numbers_wrap_around()
    {
        var mem = new FakeNonVolatileMemory(256);
        var store = new PersistentRecordStore(mem, 0, Payload);
        store.Save(Pattern(1), 0);
        // Forge slot 0 to sequence 0xFFFFFFFF and let the store continue from there.
        var slot = new byte[store.SlotSize];
        Array.Copy(mem.Bytes, 0, slot, 0, slot.Length);
        slot[4] = slot[5] = slot[6] = slot[7] = 0xFF;
        uint crc = Crc32.Compute(slot, 0, PersistentRecordStore.HeaderSize + Payload);
        BitConverter.GetBytes(crc).CopyTo(slot, PersistentRecordStore.HeaderSize + Payload);
        Array.Copy(slot, 0, mem.Bytes, 0, slot.Length);
        var restarted = new PersistentRecordStore(mem, 0, Payload);
        var buffer = new byte[Payload];
        Assert.True(restarted.Load(buffer, 0));
        Assert.True(restarted.Save(Pattern(7), 0)); // sequence wraps to 0
        Assert.Equal(0u, restarted.LastSequence);
        Assert.True(new PersistentRecordStore(mem, 0, Payload).Load(buffer, 0));
        Assert.Equal(Pattern(7), buffer);
    }

    [Fact]
    public void A_record_that_does_not_fit_is_refused()
    {
        Assert.Equal(2 * (PersistentRecordStore.HeaderSize + Payload + PersistentRecordStore.TrailerSize), PersistentRecordStore.StorageSize(Payload));
        var mem = new FakeNonVolatileMemory(PersistentRecordStore.StorageSize(Payload) + 15);
        Assert.Throws<ArgumentOutOfRangeException>(() => new PersistentRecordStore(mem, 16, Payload));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PersistentRecordStore(mem, -1, Payload));
        _ = new PersistentRecordStore(mem, 15, Payload); // exactly fits
    }
}
