using Bms.Hal;

namespace Bms.Drivers.Fram
{
    /// <summary>
    /// Fujitsu/RAMXEED MB85RC-series I2C FRAM (e.g. MB85RC256V, 32 KiB) as <see cref="INonVolatileStorage"/>.
    /// FRAM writes are byte-granular, need no erase and have no write delay, which is why BMS boards keep their
    /// fault log and state of charge there. Memory address is two bytes, high byte first, after the device
    /// address; reads set the address with a write and continue with a repeated-START read.
    /// Transfers are chunked through one buffer allocated here, so reading and writing allocate nothing.
    /// </summary>
    public sealed class Mb85rcFram : INonVolatileStorage
    {
        /// <summary>Address with A2..A0 tied low.</summary>
        public const int DefaultI2cAddress = 0x50;

        private const int ChunkBytes = 32;
        private const int Attempts = 3;
        private readonly II2cDevice _device;
        private readonly byte[] _frame = new byte[ChunkBytes + 2];
        private readonly int _size;

        /// <summary>Uses <paramref name="device"/> for a part of <paramref name="sizeBytes"/> bytes (32768 for MB85RC256V).</summary>
        public Mb85rcFram(II2cDevice device, int sizeBytes)
        {
            _device = device;
            _size = sizeBytes;
        }

        /// <inheritdoc />
        public int Size { get { return _size; } }

        /// <summary>Transfers that failed after every retry.</summary>
        public int FailedTransfers { get; private set; }

        /// <inheritdoc />
        public bool Read(int address, byte[] buffer, int offset, int count)
        {
            if (!InRange(address, count))
            {
                return false;
            }
            while (count > 0)
            {
                int chunk = count < ChunkBytes ? count : ChunkBytes;
                _frame[0] = (byte)(address >> 8);
                _frame[1] = (byte)address;
                if (!Transfer(true, chunk, buffer, offset))
                {
                    return false;
                }
                address += chunk;
                offset += chunk;
                count -= chunk;
            }
            return true;
        }

        /// <inheritdoc />
        public bool Write(int address, byte[] buffer, int offset, int count)
        {
            if (!InRange(address, count))
            {
                return false;
            }
            while (count > 0)
            {
                int chunk = count < ChunkBytes ? count : ChunkBytes;
                _frame[0] = (byte)(address >> 8);
                _frame[1] = (byte)address;
                for (int i = 0; i < chunk; i++)
                {
                    _frame[2 + i] = buffer[offset + i];
                }
                if (!Transfer(false, chunk, null, 0))
                {
                    return false;
                }
                address += chunk;
                offset += chunk;
                count -= chunk;
            }
            return true;
        }

        private bool InRange(int address, int count)
        {
            return address >= 0 && count >= 0 && address + count <= _size;
        }

        private bool Transfer(bool read, int chunk, byte[] readBuffer, int readOffset)
        {
            for (int attempt = 0; attempt < Attempts; attempt++)
            {
                BusStatus status = read
                    ? _device.WriteRead(_frame, 0, 2, readBuffer, readOffset, chunk)
                    : _device.Write(_frame, 0, chunk + 2);
                if (status == BusStatus.Ok)
                {
                    return true;
                }
            }
            FailedTransfers++;
            return false;
        }
    }
}
