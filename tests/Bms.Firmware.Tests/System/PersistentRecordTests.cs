using Bms.Emulators.Common;
using Bms.Firmware.Composition;

namespace Bms.Firmware.Tests.System;

public class PersistentRecordTests
{
    [Fact]
    public void A_power_cut_at_any_byte_of_a_save_leaves_the_previous_or_the_new_payload()
    {
        byte[] oldPayload = Enumerable.Range(0, 50).Select(i => (byte)i).ToArray();
        byte[] newPayload = Enumerable.Range(0, 50).Select(i => (byte)(200 - i)).ToArray();
        int saveBytes = 12 + 50 + 4;
        for (int cut = 0; cut <= saveBytes; cut++)
        {
            var storage = new RamStorage(1024);
            var record = new PersistentRecord(storage, 100, 64);
            Assert.True(record.Save(oldPayload, oldPayload.Length));
            storage.CutAfterBytes(cut);
            bool ok = record.Save(newPayload, newPayload.Length);
            storage.Restore();

            var reader = new PersistentRecord(storage, 100, 64);
            var buffer = new byte[64];
            int length = reader.Load(buffer);
            Assert.Equal(50, length);
            var loaded = buffer.Take(50).ToArray();
            if (ok) Assert.Equal(newPayload, loaded);
            else Assert.True(loaded.SequenceEqual(oldPayload) || loaded.SequenceEqual(newPayload), $"cut at {cut}: neither payload");
        }
    }

    [Fact]
    public void Blank_or_corrupt_storage_loads_nothing()
    {
        var storage = new RamStorage(1024);
        var record = new PersistentRecord(storage, 0, 32);
        Assert.Equal(-1, record.Load(new byte[32]));
        Assert.True(record.Save(new byte[] { 1, 2, 3 }, 3));
        int copySize = 12 + 32 + 4;
        storage.Memory[copySize + 12 + 1] ^= 0x40; // first save (sequence 1) goes to copy 1: flip a payload bit there
        Assert.Equal(-1, new PersistentRecord(storage, 0, 32).Load(new byte[32]));
    }

    [Fact]
    public void The_newer_copy_wins_and_saves_alternate()
    {
        var storage = new RamStorage(1024);
        var record = new PersistentRecord(storage, 0, 8);
        for (byte i = 1; i <= 5; i++) Assert.True(record.Save(new[] { i }, 1));
        var buffer = new byte[8];
        Assert.Equal(1, new PersistentRecord(storage, 0, 8).Load(buffer));
        Assert.Equal(5, buffer[0]);
    }

    [Fact]
    public void A_record_that_does_not_fit_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new PersistentRecord(new RamStorage(100), 0, 64));
    }
}
