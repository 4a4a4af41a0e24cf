using System;
using System.Device.I2c;

namespace Bms.Hal.Nano
{
    /// <summary>II2cDevice over nanoFramework's System.Device.I2c. SpanByte is a struct: no allocation per transfer.</summary>
    public sealed class NanoI2cDevice : II2cDevice
    {
        private readonly I2cDevice _device;

        /// <summary>
        /// Opens the device at <paramref name="address"/> on bus <paramref name="busId"/> with the bus clock the chip
        /// allows: 100 kHz (standard mode: the BQ769x0 family) or 400 kHz (fast mode: BQ76952, MB85RC FRAM).
        /// Every device on one bus must be opened with the same clock.
        /// </summary>
        public NanoI2cDevice(int busId, int address, int clock_kHz)
        {
            I2cBusSpeed speed;
            if (clock_kHz == 100)
            {
                speed = I2cBusSpeed.StandardMode;
            }
            else if (clock_kHz == 400)
            {
                speed = I2cBusSpeed.FastMode;
            }
            else
            {
                throw new ArgumentException("I2C clock must be 100 or 400 kHz");
            }
            Address = address;
            _device = I2cDevice.Create(new I2cConnectionSettings(busId, address, speed));
        }

        /// <inheritdoc />
        public int Address { get; private set; }

        /// <inheritdoc />
        public BusStatus Write(byte[] buffer, int offset, int count)
        {
            return ToStatus(_device.Write(new SpanByte(buffer, offset, count)), count);
        }

        /// <inheritdoc />
        public BusStatus Read(byte[] buffer, int offset, int count)
        {
            return ToStatus(_device.Read(new SpanByte(buffer, offset, count)), count);
        }

        /// <inheritdoc />
        public BusStatus WriteRead(byte[] writeBuffer, int writeOffset, int writeCount, byte[] readBuffer, int readOffset, int readCount)
        {
            I2cTransferResult result = _device.WriteRead(new SpanByte(writeBuffer, writeOffset, writeCount), new SpanByte(readBuffer, readOffset, readCount));
            return ToStatus(result, writeCount + readCount);
        }

        private static BusStatus ToStatus(I2cTransferResult result, int expected)
        {
            switch (result.Status)
            {
                case I2cTransferStatus.FullTransfer:
                    return result.BytesTransferred == (uint)expected ? BusStatus.Ok : BusStatus.PartialTransfer;
                case I2cTransferStatus.PartialTransfer:
                    return BusStatus.PartialTransfer;
                case I2cTransferStatus.SlaveAddressNotAcknowledged:
                    return BusStatus.AddressNack;
                case I2cTransferStatus.ClockStretchTimeout:
                    return BusStatus.Timeout;
                default:
                    return BusStatus.BusError;
            }
        }
    }
}
