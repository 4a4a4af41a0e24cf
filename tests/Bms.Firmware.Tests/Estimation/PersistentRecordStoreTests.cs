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

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(40)]
    [InlineData(1000)]
    public void A_save_in_slices_writes_the_same_bytes_as_the_one_shot_save(int slice)
    {
        var oneShot = new FakeNonVolatileMemory(256);
        var sliced = new FakeNonVolatileMemory(256);
        var a = new PersistentRecordStore(oneShot, 16, Payload);
        var b = new PersistentRecordStore(sliced, 16, Payload);
        for (int k = 1; k <= 3; k++)
        {
            Assert.True(a.Save(Pattern(k), 0));
            byte[] payload = Pattern(k);
            b.BeginSave(payload, 0);
            int steps = 0;
            while (true)
            {
                byte[] before = (byte[])sliced.Bytes.Clone();
                bool finished = b.ContinueSave(slice);
                steps++;
                if (finished) break;
                Assert.True(b.SaveInProgress);
                // Nothing reaches the memory before the last slice.
                Assert.Equal(before, sliced.Bytes);
            }
            Assert.False(b.SaveInProgress);
            Assert.True(b.LastSaveOk);
            Assert.Equal((Payload + slice - 1) / slice, steps);
            Assert.Equal(oneShot.Bytes, sliced.Bytes);
            Assert.Equal(a.LastSequence, b.LastSequence);
        }
        Assert.True(b.ContinueSave(slice)); // nothing in progress: finished at once, nothing written
        Assert.Equal(oneShot.Bytes, sliced.Bytes);
    }

    [Fact]
    public void A_sliced_save_cut_at_any_byte_leaves_the_previous_record_loadable()
    {
        var probe = new PersistentRecordStore(new FakeNonVolatileMemory(256), 0, Payload);
        for (int cut = 0; cut < probe.SlotSize; cut++)
        {
            var mem = new FakeNonVolatileMemory(256);
            var store = new PersistentRecordStore(mem, 0, Payload);
            Assert.True(store.Save(Pattern(1), 0));
            Assert.True(store.Save(Pattern(2), 0));
            store.BeginSave(Pattern(3), 0);
            while (!store.ContinueSave(9))
            {
            }
            mem.CutNextWriteAfter = cut;
            store.BeginSave(Pattern(4), 0);
            while (!store.ContinueSave(9))
            {
            }
            Assert.False(store.LastSaveOk);
            Assert.Equal(3u, store.LastSequence);
            var buffer = new byte[Payload];
            Assert.True(new PersistentRecordStore(mem, 0, Payload).Load(buffer, 0));
            Assert.Equal(Pattern(3), buffer);
        }
    }

    [Fact]
    public void A_one_shot_save_or_a_load_abandons_a_sliced_save_that_had_written_nothing()
    {
        var mem = new FakeNonVolatileMemory(256);
        var store = new PersistentRecordStore(mem, 0, Payload);
        Assert.True(store.Save(Pattern(1), 0));
        store.BeginSave(Pattern(2), 0);
        Assert.False(store.ContinueSave(10));
        Assert.True(store.Save(Pattern(3), 0));
        Assert.False(store.SaveInProgress);
        var buffer = new byte[Payload];
        Assert.True(new PersistentRecordStore(mem, 0, Payload).Load(buffer, 0));
        Assert.Equal(Pattern(3), buffer);

        store.BeginSave(Pattern(4), 0);
        Assert.False(store.ContinueSave(10));
        Assert.True(store.Load(buffer, 0));
        Assert.False(store.SaveInProgress);
        Assert.Equal(Pattern(3), buffer);
        Assert.Equal(2u, store.LastSequence);
    }

    [Fact]
    public void Every_crc_table_entry_matches_the_bitwise_definition()
    {
        var one = new byte[1];
        for (int value = 0; value < 256; value++)
        {
            one[0] = (byte)value;
            uint crc = 0xFFFFFFFFu ^ (uint)value;
            for (int bit = 0; bit < 8; bit++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
            Assert.Equal(crc ^ 0xFFFFFFFFu, Crc32.Compute(one, 0, 1));
        }
        byte[] check = global::System.Text.Encoding.ASCII.GetBytes("123456789");
        Assert.Equal(0xCBF43926u, Crc32.Compute(check, 0, check.Length));
        uint running = Crc32.Update(Crc32.Initial, check, 0, 4);
        running = Crc32.Update(running, check, 4, 5);
        Assert.Equal(0xCBF43926u, running ^ 0xFFFFFFFFu);
    }
}
