using System;
using System.Device.Spi;

namespace Bms.Hal.Nano
{
    /// <summary>ISpiDevice over System.Device.Spi; the driver's chip select is handled by the SPI peripheral per transfer.</summary>
    public sealed class NanoSpiDevice : ISpiDevice
    {
        private readonly SpiDevice _device;

        /// <summary>Opens <paramref name="busId"/> with hardware chip select on <paramref name="chipSelectPin"/>.
        /// The LTC6820 isoSPI bridge wants SPI mode 3 and at most 1 MHz.</summary>
        public NanoSpiDevice(int busId, int chipSelectPin, int clockFrequency_Hz)
        {
            var settings = new SpiConnectionSettings(busId, chipSelectPin);
            settings.ClockFrequency = clockFrequency_Hz;
            settings.Mode = SpiMode.Mode3;
            settings.DataBitLength = 8;
            _device = SpiDevice.Create(settings);
        }

        /// <inheritdoc />
        public BusStatus TransferFullDuplex(byte[] writeBuffer, int writeOffset, byte[] readBuffer, int readOffset, int count)
        {
            try
            {
                if (readBuffer == null)
                {
                    _device.Write(new SpanByte(writeBuffer, writeOffset, count));
                }
                else
                {
                    _device.TransferFullDuplex(new SpanByte(writeBuffer, writeOffset, count), new SpanByte(readBuffer, readOffset, count));
                }
                return BusStatus.Ok;
            }
            catch (Exception)
            {
                // The native driver reports bus faults as exceptions; the caller treats this like any failed transfer.
                return BusStatus.BusError;
            }
        }
    }
}
