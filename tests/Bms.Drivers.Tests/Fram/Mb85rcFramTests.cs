using Bms.Drivers.Fram;
using Bms.Emulators.Fram;
using Bms.Hal;

namespace Bms.Drivers.Tests.Fram;

public class Mb85rcFramTests
{
    [Fact]
    public void Write_then_read_round_trips_across_chunk_boundaries()
    {
        var chip = new Mb85rcEmulator(32768);
        var fram = new Mb85rcFram(chip, 32768);
        var data = new byte[100];
        for (int i = 0; i < data.Length; i++) data[i] = (byte)(i * 7 + 3);

        Assert.True(fram.Write(1000, data, 0, data.Length));
        var back = new byte[100];
        Assert.True(fram.Read(1000, back, 0, back.Length));

        Assert.Equal(data, back);
        Assert.Equal(data, chip.Memory[1000..1100]);
    }

    [Fact]
    public void Out_of_range_access_is_refused_without_touching_the_bus()
    {
        var chip = new Mb85rcEmulator(1024);
        var fram = new Mb85rcFram(chip, 1024);
        var buffer = new byte[16];

        Assert.False(fram.Write(1020, buffer, 0, 16));
        Assert.False(fram.Read(-1, buffer, 0, 1));
        Assert.All(chip.Memory, b => Assert.Equal(0, b));
    }

    [Fact]
    public void A_cut_write_reports_failure_and_keeps_only_the_bytes_that_reached_the_array()
    {
        var chip = new Mb85rcEmulator(1024) { CutAfterBytes = 5 };
        var fram = new Mb85rcFram(chip, 1024);
        var data = new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 };

        Assert.False(fram.Write(10, data, 0, data.Length));

        Assert.Equal(new byte[] { 1, 2, 3, 4, 5, 0, 0, 0 }, chip.Memory[10..18]);
        Assert.Equal(1, fram.FailedTransfers);
    }

    [Fact]
    public void Read_and_write_allocate_nothing()
    {
        var fram = new Mb85rcFram(new Mb85rcEmulator(4096), 4096);
        var buffer = new byte[200];
        fram.Write(0, buffer, 0, buffer.Length);
        fram.Read(0, buffer, 0, buffer.Length);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            fram.Write(i, buffer, 0, buffer.Length);
            fram.Read(i, buffer, 0, buffer.Length);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
