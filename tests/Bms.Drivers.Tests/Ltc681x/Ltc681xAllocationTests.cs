using Bms.Drivers.Ltc681x;
using Bms.Hal;

namespace Bms.Drivers.Tests.Ltc681x;

public class Ltc681xAllocationTests
{
    /// <summary>Records the emulator's answers for one scan, then plays them back without allocating.</summary>
    private sealed class RecordReplaySpi : ISpiDevice
    {
        private readonly ISpiDevice _inner;
        private readonly byte[][] _answers = Enumerable.Range(0, 128).Select(_ => new byte[512]).ToArray();
        private int _recorded;
        private int _index;
        public bool Recording;
        public bool Replaying;

        public RecordReplaySpi(ISpiDevice inner) => _inner = inner;

        public void Rewind() => _index = 0;
        public int Recorded => _recorded;
        public int Played => _index;

        public BusStatus TransferFullDuplex(byte[] writeBuffer, int writeOffset, byte[]? readBuffer, int readOffset, int count)
        {
            if (Replaying)
            {
                if (readBuffer != null) Array.Copy(_answers[_index], 0, readBuffer, readOffset, count);
                _index++;
                return BusStatus.Ok;
            }
            var status = _inner.TransferFullDuplex(writeBuffer, writeOffset, readBuffer, readOffset, count);
            if (Recording && readBuffer != null) Array.Copy(readBuffer, readOffset, _answers[_recorded++], 0, count);
            else if (Recording) _recorded++;
            return status;
        }
    }

    [Fact]
    public void Measure_allocates_nothing_in_steady_state()
    {
        var clock = new Bms.Emulators.Common.VirtualClock(1000);
        var chain = new Bms.Emulators.Ltc681x.Ltc681xChainEmulator(Ltc681xVariant.Ltc6813, 2, 18, 0b11111, clock);
        var spi = new RecordReplaySpi(chain);
        var configuration = new Ltc681xConfiguration(Ltc681xVariant.Ltc6813, 2) { ThermistorGpioMask = 0b11111 };
        var afe = new Bms.Drivers.Ltc681x.Ltc681x(spi, clock, clock, configuration);
        var readings = new Bms.Drivers.CellMonitoring.CellMonitorReadings(afe.CellCount, afe.TemperatureCount);
        Assert.True(afe.Initialize());
        clock.Advance_us(100_000);
        Assert.True(afe.Measure(readings));

        clock.Advance_us(100_000);
        spi.Recording = true;
        Assert.True(afe.Measure(readings));
        spi.Recording = false;
        spi.Replaying = true;

        clock.Advance_us(100_000);
        spi.Rewind();
        Assert.True(afe.Measure(readings)); // warm the replay path
        var ok = new bool[20];
        var played = new int[20];
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 20; i++)
        {
            clock.Advance_us(100_000);
            spi.Rewind();
            ok[i] = afe.Measure(readings);
            played[i] = spi.Played;
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.DoesNotContain(false, ok);
        Assert.All(played, p => Assert.Equal(spi.Recorded, p));
        Assert.DoesNotContain(false, readings.CellValid);
    }
}
