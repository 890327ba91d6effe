"""Reading and writing of images, centroid files, grade tables and Parquet tables."""
